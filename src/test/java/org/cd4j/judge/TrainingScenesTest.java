package org.cd4j.judge;

import org.cd4j.world.Concept;
import org.cd4j.world.Scene;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingScenesTest {
    private final TrainingScenes scenes = new TrainingScenes(4);

    @Test
    void aSeedAndAnIndexFixThePicture() {
        TrainingScenes.Example a = scenes.example(17), b = new TrainingScenes(4).example(17);
        assertThat(a.scene()).isEqualTo(b.scene());
        assertThat(JudgeImages.pixels(a.image())).containsExactly(JudgeImages.pixels(b.image()));
        assertThat(new TrainingScenes(5).example(17).scene()).isNotEqualTo(a.scene());
    }

    @Test
    void kindsComeInTheirShares() {
        Map<TrainingScenes.Kind, Integer> counts = new EnumMap<>(TrainingScenes.Kind.class);
        int n = 400;
        for (int i = 0; i < n; i++) counts.merge(scenes.example(i).kind(), 1, Integer::sum);
        for (TrainingScenes.Kind k : TrainingScenes.Kind.values()) {
            // binomial: within 4 standard deviations of the share
            double p = TrainingScenes.SHARES[k.ordinal()];
            assertThat((double) counts.getOrDefault(k, 0)).isBetween(n * p - 4 * Math.sqrt(n * p * (1 - p)), n * p + 4 * Math.sqrt(n * p * (1 - p)));
        }
    }

    @Test
    void eachKindShowsWhatItPromises() {
        for (int i = 0; i < 40; i++) {
            Scene c = scenes.example(TrainingScenes.Kind.CONCEPT, i).scene();
            assertThat(c.concept()).isNotNull();

            Scene o = scenes.example(TrainingScenes.Kind.ORDINARY, i).scene();
            assertThat(o.concept()).isNull();
            assertThat(o.isConceptCombination()).isFalse();

            Scene p = scenes.example(TrainingScenes.Kind.PRIOR, i).scene();
            assertThat(p.concept()).isNull();
            assertThat(p.isConceptCombination()).isFalse();
            assertThat(Concept.values()).anyMatch(k -> k.category() == p.category());

            Scene m = scenes.example(TrainingScenes.Kind.NEAR_MISS, i).scene();
            assertThat(m.concept()).isNull();
            assertThat(m.isConceptCombination()).isFalse();
            Concept k = java.util.Arrays.stream(Concept.values()).filter(x -> x.category() == m.category()).findFirst().orElseThrow();
            int differences = (m.colour() != k.colour() ? 1 : 0) + (m.pattern() != k.pattern() ? 1 : 0)
                    + (m.patternColour() != k.patternColour() && m.pattern() == k.pattern() ? 1 : 0);
            assertThat(differences).as("near miss %s of %s", m, k).isEqualTo(1);
        }
    }
}
