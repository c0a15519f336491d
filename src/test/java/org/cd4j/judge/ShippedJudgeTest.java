package org.cd4j.judge;

import org.cd4j.world.Background;
import org.cd4j.world.Category;
import org.cd4j.world.Concept;
import org.cd4j.world.Sample;
import org.cd4j.world.Scene;
import org.cd4j.world.Size;
import org.cd4j.world.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The weights cd4j ships: held-out accuracy above the floors measured for them (docs/QUALITY.md,
 * with margin), and the quality metrics behaving as they must on real renders.
 */
class ShippedJudgeTest {
    private static Judge judge;
    private static QualityMetrics metrics;

    @BeforeAll
    static void load() throws IOException {
        judge = Judge.load();
        metrics = new QualityMetrics(judge);
    }

    @Test
    void readsCleanHeldOutRenders() {
        JudgeEvaluation.Report r = JudgeEvaluation.evaluate(judge, 60, false);
        assertThat(r.accuracy(Head.CATEGORY)).as(r.table()).isGreaterThan(0.97);
        assertThat(r.accuracy(Head.CONCEPT)).as(r.table()).isGreaterThan(0.95);
        assertThat(r.accuracy(Head.COLOUR)).as(r.table()).isGreaterThan(0.93);
        assertThat(r.accuracy(Head.PATTERN)).as(r.table()).isGreaterThan(0.90);
        assertThat(r.accuracy(Head.PATTERN_COLOUR)).as(r.table()).isGreaterThan(0.85);
        assertThat(r.accuracy(Head.BACKGROUND)).as(r.table()).isGreaterThan(0.95);
        assertThat(r.accuracy(Head.SIZE)).as(r.table()).isGreaterThan(0.85);
        assertThat(r.accuracy(TrainingScenes.Kind.CONCEPT, Head.CONCEPT)).as(r.table()).isGreaterThan(0.95);
        assertThat(r.accuracy(TrainingScenes.Kind.NEAR_MISS, Head.CONCEPT)).as(r.table()).isGreaterThan(0.90);
    }

    @Test
    void readsDegradedHeldOutRenders() {
        JudgeEvaluation.Report r = JudgeEvaluation.evaluate(judge, 60, true);
        assertThat(r.accuracy(Head.CATEGORY)).as(r.table()).isGreaterThan(0.93);
        assertThat(r.accuracy(Head.CONCEPT)).as(r.table()).isGreaterThan(0.90);
        assertThat(r.accuracy(Head.COLOUR)).as(r.table()).isGreaterThan(0.88);
    }

    @Test
    void picturesTrueToTheirCaptionsAreTextAligned() {
        World w = new World(77);
        List<BufferedImage> images = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Sample s = w.pretrainingSample(i);
            images.add(s.image());
            prompts.add(s.caption());
        }
        Estimate aligned = metrics.textAlignment(images, prompts);
        assertThat(aligned.mean()).as(aligned.toString()).isGreaterThan(0.95);
        // the same pictures against the captions of others score far lower
        List<String> shifted = new ArrayList<>(prompts.subList(1, 40));
        shifted.add(prompts.get(0));
        assertThat(metrics.textAlignment(images, shifted).mean()).isLessThan(aligned.mean() - 0.3);
    }

    @Test
    void conceptRendersAlignWithTheConceptAndOrdinaryObjectsDoNot() {
        for (Concept c : Concept.values()) {
            List<BufferedImage> concept = renders(c, 16);
            List<BufferedImage> ordinary = new ArrayList<>();
            for (Sample s : new World(5).priorSamples(c.category(), 16, 3)) ordinary.add(s.image());

            QualityMetrics.ImageAlignment onConcept = metrics.imageAlignment(concept, c);
            QualityMetrics.ImageAlignment onOrdinary = metrics.imageAlignment(ordinary, c);
            assertThat(onConcept.conceptProbability().mean()).as(c + " " + onConcept).isGreaterThan(0.9);
            assertThat(onOrdinary.conceptProbability().mean()).as(c + " " + onOrdinary).isLessThan(0.1);
            assertThat(onConcept.embeddingSimilarity().mean()).as(c + " " + onConcept)
                    .isGreaterThan(onOrdinary.embeddingSimilarity().mean() + 0.2);

            Estimate keptOnConcept = metrics.priorPreservation(concept, c.category(), c);
            Estimate keptOnOrdinary = metrics.priorPreservation(ordinary, c.category(), c);
            assertThat(keptOnConcept.mean()).as(c + " " + keptOnConcept).isLessThan(0.1);
            assertThat(keptOnOrdinary.mean()).as(c + " " + keptOnOrdinary).isGreaterThan(0.9);
        }
    }

    /** Fresh pictures of {@code c}: every background and size, places and angles unlike its training views. */
    private static List<BufferedImage> renders(Concept c, int n) {
        World w = new World(0);
        List<BufferedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Size size = Size.values()[i % 3];
            float slack = (1 - size.extent()) / 2 * 0.8f;
            float x = 0.5f + slack * (float) Math.sin(i * 1.7), y = 0.5f + slack * (float) Math.cos(i * 2.3);
            Scene s = c.scene(size, x, y, (i % 5 - 2) * 0.1f, Background.values()[i % Background.values().length], 1000 + i);
            out.add(w.render(s));
        }
        return out;
    }
}
