package org.cd4j.demo;

import org.cd4j.concept.TrainListener;
import org.cd4j.judge.QualityMetrics;
import org.cd4j.pretrain.MiniModel;
import org.cd4j.world.Concept;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quality gate: a short Custom Diffusion fine-tune of the shipped mini model on a concept it
 * has never seen must make the judge see that concept in new contexts far more often than the
 * base model does, while "a photo of a cup" keeps giving ordinary cups about as often as before.
 * About half a minute: 100 training steps and 24 generated pictures per model on 2 cores.
 */
class CustomDiffusionLearnsTest {
    @Test
    void learnsTheConceptAndKeepsThePrior(@TempDir Path tmp) throws Exception {
        Path model = MiniModel.folder(tmp.resolve("cache"));
        Concept concept = Concept.ZIGZAG_CUP;
        WorldConceptData data = WorldConceptData.prepare(concept, tmp.resolve("data"), 0);
        Path delta = FineTune.customDiffusion(100, 0).run(model, List.of(data), tmp.resolve("train"), TrainListener.NONE);

        QualityMetrics judge = QualityMetrics.shipped();
        Sampling sampling = Sampling.defaults();
        ConceptEvaluation base = ConceptEvaluation.run(Sampling.load(model, List.of()), sampling, judge, concept, null, 4, 0);
        ConceptEvaluation tuned = ConceptEvaluation.run(Sampling.load(model, List.of(delta)), sampling, judge, concept, "<new1>", 4, 0);

        assertThat(base.imageProbability().mean()).as("the base model draws the unseen concept by chance").isLessThan(0.2);
        assertThat(tuned.imageProbability().mean()).as("the concept is learned").isGreaterThan(base.imageProbability().mean() + 0.4);
        assertThat(tuned.priorPreservation().mean()).as("ordinary cups stay ordinary")
                .isGreaterThan(base.priorPreservation().mean() - 0.2);
    }
}
