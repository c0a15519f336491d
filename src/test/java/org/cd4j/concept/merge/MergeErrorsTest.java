package org.cd4j.concept.merge;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Inputs the merge refuses, each with a message that says why. */
class MergeErrorsTest {
    @TempDir
    Path tmp;

    private static ConceptMerger.Result merge(List<String> captions, MergeInput... inputs) throws Exception {
        return ConceptMerger.merge(MergeFixtures.model(), List.of(inputs), captions, ConceptMerger.Options.defaults());
    }

    @Test
    void oneDeltaIsNotAMerge() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        assertThatThrownBy(() -> merge(RegCaptions.defaults(), new MergeInput(a, "a", List.of("pot"))))
                .hasMessageContaining("at least two deltas");
    }

    @Test
    void deltaOfAnotherBaseModelIsRefused() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta other = MergeFixtures.random(2, 0.01, "<new1>");
        ConceptDelta stamped = other.withInfo(other.info().withBaseModel("0".repeat(64), "sd-other"));
        assertThatThrownBy(() -> merge(RegCaptions.defaults(), new MergeInput(a, "a", List.of("pot")),
                new MergeInput(stamped, "b", List.of("ball"))))
                .hasMessageContaining("b was trained on another base model").hasMessageContaining("sd-other");
        // Without an identity the shapes decide: a tiny-sd1 delta (32-wide text states) on tiny-sd1-768.
        ConceptDelta sd1 = DeltaFiles.load(Fixtures.path("custom_diffusion/adobe_train/delta.bin")).delta();
        assertThatThrownBy(() -> merge(RegCaptions.defaults(), new MergeInput(a, "a", List.of("pot")),
                new MergeInput(sd1, "sd1.bin", List.of("ball"))))
                .hasMessageContaining("sd1.bin does not fit the model tiny-sd1-768").hasMessageContaining("[32, 32]");
    }

    @Test
    void identicalDeltasAreRefused() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta copy = MergeFixtures.random(1, 0.01, "<new1>");
        assertThatThrownBy(() -> merge(RegCaptions.defaults(), new MergeInput(a, "a", List.of("pot")),
                new MergeInput(copy, "copy", List.of("pot"))))
                .hasMessageContaining("a and copy are identical");
    }

    @Test
    void sameFileTwiceIsRefused() throws Exception {
        Path f = tmp.resolve("a.cd4j.safetensors");
        DeltaFiles.save(MergeFixtures.random(1, 0.01, "<new1>"), DeltaFormat.CD4J, f, null, false);
        Path alias = tmp.resolve("sub/../a.cd4j.safetensors");
        Files.createDirectories(tmp.resolve("sub"));
        assertThatThrownBy(() -> MergeFiles.merge(MergeFixtures.model(), List.of(f, alias), "pot+pot", null, w -> {}))
                .hasMessageContaining("is given twice");
    }

    @Test
    void nearlyDuplicateConceptsAreReportedNotSolved() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta b = MergeFixtures.random(2, 0.01, "<new1>");
        Map<String, Tensor> close = new LinkedHashMap<>();
        close.put("<new1>", a.tokens().get("<new1>").mul(new Scalar(1 + 3e-7)));
        ConceptDelta twin = new ConceptDelta(b.weights(), close, b.info());
        assertThatThrownBy(() -> merge(RegCaptions.defaults(), new MergeInput(a, "a", List.of("pot")),
                new MergeInput(twin, "twin", List.of("pot"))))
                .isInstanceOf(IllConditionedMergeException.class).hasMessageContaining("linearly dependent")
                .hasMessageContaining("duplicates");
    }

    @Test
    void exactlyDuplicateTargetsKeepTheFirstConceptWithAWarning() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta b = MergeFixtures.random(2, 0.01, "<new1>");
        ConceptDelta twin = new ConceptDelta(b.weights(), a.tokens(), b.info()); // same token row, same category
        ConceptMerger.Result r = merge(RegCaptions.defaults(), new MergeInput(a, "a", List.of("pot")),
                new MergeInput(twin, "twin", List.of("pot")));
        assertThat(r.report().duplicateRows()).isEqualTo(r.report().targetRows());
        assertThat(r.report().warnings()).anyMatch(w -> w.contains("'<new2> pot' (twin) repeat those of '<new1> pot' (a)"));
    }

    @Test
    void emptyOrTinyCaptionFilesAreRefused() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "\n  \n");
        assertThatThrownBy(() -> RegCaptions.read(empty)).hasMessageContaining("is empty");
        Path tiny = Files.writeString(tmp.resolve("tiny.txt"), "a dog\na cat on a mat\na red car\n");
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta b = MergeFixtures.random(2, 0.01, "<new1>");
        assertThatThrownBy(() -> merge(RegCaptions.read(tiny), new MergeInput(a, "a", List.of("pot")),
                new MergeInput(b, "b", List.of("ball"))))
                .isInstanceOf(IllConditionedMergeException.class).hasMessageContaining("too few regularisation features")
                .hasMessageContaining("768-dimensional");
        // Enough rows but only three distinct captions: rank-deficient.
        List<String> repeated = new ArrayList<>();
        for (int i = 0; i < 200; i++) repeated.add(List.of("a dog", "a cat on a mat", "a red car").get(i % 3));
        assertThatThrownBy(() -> merge(repeated, new MergeInput(a, "a", List.of("pot")), new MergeInput(b, "b", List.of("ball"))))
                .isInstanceOf(IllConditionedMergeException.class).hasMessageContaining("degenerate");
    }

    @Test
    void categoriesMustFitTheInputs() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta b = MergeFixtures.random(2, 0.01, "<new1>", "<new2>");
        List<ConceptDelta> ds = List.of(a, b);
        List<String> names = List.of("a", "b");
        assertThat(Categories.parse("wooden pot + dog", ds, names)).containsExactly(List.of("wooden pot"), List.of("dog"));
        assertThat(Categories.parse("pot+cat|dog", ds, names)).containsExactly(List.of("pot"), List.of("cat", "dog"));
        assertThatThrownBy(() -> Categories.parse("pot", ds, names)).isInstanceOf(Categories.CategoryException.class)
                .hasMessageContaining("names 1 category but 2 deltas");
        assertThatThrownBy(() -> Categories.parse("pot+a|b|c", ds, names)).hasMessageContaining("b has 2 token(s)");
        assertThatThrownBy(() -> Categories.parse("pot+", ds, names)).hasMessageContaining("the category of b is empty");
    }

    @Test
    void missingCategoriesAskForTheFlag() throws Exception {
        Path a = MergeFixtures.compose("input_pot/delta.bin"), b = MergeFixtures.compose("input_ball/delta.bin");
        assertThatThrownBy(() -> MergeFiles.merge(MergeFixtures.model(), List.of(a, b), null, null, w -> {}))
                .isInstanceOf(Categories.CategoryException.class).hasMessageContaining("pass --categories");
    }
}
