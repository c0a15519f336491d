package org.cd4j.concept.merge;

import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaInfo;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The merge's text side: caption files, target prompts and where their feature rows start. */
class MergeTextTest {
    @Test
    void defaultCaptionSetHas200DistinctCaptions() {
        List<String> c = RegCaptions.defaults();
        assertThat(c).hasSize(200).allMatch(s -> !s.isBlank());
        assertThat(new HashSet<>(c)).hasSize(200);
    }

    @Test
    void captionFilesAreReadLikeTheReference() {
        StringBuilder b = new StringBuilder("\uFEFF  first caption \r\n\nthird\n");
        for (int i = 0; i < 300; i++) b.append("caption ").append(i).append('\n');
        List<String> c = RegCaptions.parse(b.toString(), "x");
        assertThat(c).hasSize(200);
        assertThat(c.subList(0, 3)).containsExactly("first caption", "", "third"); // blank lines stay, as in the reference
    }

    @Test
    void targetPromptsFollowTheReference() {
        assertThat(new MergeConcept(0, List.of("<new1>"), "wooden pot").prompts())
                .containsExactly("<new1> wooden pot", "photo of a <new1> wooden pot");
        // The reference tests the substring "art": "cart" counts too.
        assertThat(new MergeConcept(0, List.of("<new2>"), "cart").prompts())
                .containsExactly("<new2> cart", "painting in the style of <new2> cart");
        assertThat(new MergeConcept(1, List.of(), "cat").prompts()).containsExactly("cat", "photo of a cat");
        assertThat(new MergeConcept(1, List.of("<new2>", "<new3>"), " dog ").subject()).isEqualTo("<new2> <new3> dog");
    }

    @Test
    void rowsStartAfterPhotoOfAOnlyWithinTheFirst15Characters() {
        assertThat(TextFeatures.firstRow("photo of a <new1> pot")).isEqualTo(4);
        assertThat(TextFeatures.firstRow("a photo of a dog")).isEqualTo(4); // "a photo of a do": the slice is by position
        assertThat(TextFeatures.firstRow("a nice photo of a dog")).isEqualTo(1);
        assertThat(TextFeatures.firstRow("<new1> pot")).isEqualTo(1);
        assertThat(TextFeatures.firstRow("")).isEqualTo(1);
    }

    @Test
    void categoriesComeFromTrainingMetadata() throws Exception {
        ConceptDelta d = MergeFixtures.random(1, 0.01, "<new1>");
        assertThat(Categories.fromMetadata(d)).isNull();
        ConceptDelta trained = d.withInfo(d.info().withTraining("{\"class-prompt\":\" wooden pot \"}"));
        assertThat(Categories.fromMetadata(trained)).containsExactly("wooden pot");
        ConceptDelta two = MergeFixtures.random(2, 0.01, "<new1>", "<new2>");
        ConceptDelta merged = two.withInfo(DeltaInfo.empty().withTraining("{\"merge-categories\":[\"cat\",\"dog\"]}"));
        assertThat(Categories.fromMetadata(merged)).containsExactly("cat", "dog");
    }
}
