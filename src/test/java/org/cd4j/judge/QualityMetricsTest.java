package org.cd4j.judge;

import org.cd4j.world.Background;
import org.cd4j.world.Category;
import org.cd4j.world.Colour;
import org.cd4j.world.Concept;
import org.cd4j.world.Mentions;
import org.cd4j.world.Pattern;
import org.cd4j.world.Size;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The metrics' arithmetic on hand-made predictions (no network involved). */
class QualityMetricsTest {
    /** A prediction sure of every attribute, with probability {@code pConcept} on {@code concept} (rest on "none"). */
    static Prediction sure(Category cat, Colour colour, Pattern pattern, Colour pc, Background bg, Size size,
                           Concept concept, double pConcept, float... embedding) {
        Map<Head, float[]> p = new EnumMap<>(Head.class);
        p.put(Head.CATEGORY, oneHot(Head.CATEGORY, cat.ordinal()));
        p.put(Head.COLOUR, oneHot(Head.COLOUR, colour.ordinal()));
        p.put(Head.PATTERN, oneHot(Head.PATTERN, pattern.ordinal()));
        p.put(Head.PATTERN_COLOUR, oneHot(Head.PATTERN_COLOUR, pc.ordinal()));
        p.put(Head.BACKGROUND, oneHot(Head.BACKGROUND, bg.ordinal()));
        p.put(Head.SIZE, oneHot(Head.SIZE, size.ordinal()));
        float[] c = new float[Head.CONCEPT.size()];
        c[concept.ordinal()] = (float) pConcept;
        c[Head.NONE] = (float) (1 - pConcept);
        p.put(Head.CONCEPT, c);
        float[] e = new float[Judge.EMBEDDING];
        System.arraycopy(embedding, 0, e, 0, embedding.length);
        return new Prediction(p, e);
    }

    private static float[] oneHot(Head h, int i) {
        float[] v = new float[h.size()];
        v[i] = 1;
        return v;
    }

    private static final Prediction SMALL_RED_CUP_YELLOW_DOTS_ON_GRASS = sure(Category.CUP, Colour.RED, Pattern.DOTS,
            Colour.YELLOW, Background.GRASS, Size.SMALL, Concept.ZIGZAG_CUP, 0.25, 1, 0);

    @Test
    void promptsLoseTheirModifierTokens() {
        assertThat(QualityMetrics.mentionsOf("a photo of a <new1> cup on grass"))
                .isEqualTo(new Mentions(true, null, null, Category.CUP, null, null, Background.GRASS));
        // the article follows the word that is left after the token
        assertThat(QualityMetrics.mentionsOf("a <new1> orange cup").colour()).isEqualTo(Colour.ORANGE);
        assertThat(QualityMetrics.mentionsOf("an <new2>  box").category()).isEqualTo(Category.BOX);
        assertThat(QualityMetrics.mentionsOf("a small red cup with a yellow zigzag"))
                .isEqualTo(new Mentions(false, Size.SMALL, Colour.RED, Category.CUP, Pattern.ZIGZAG, Colour.YELLOW, null));
    }

    @Test
    void promptsOutsideTheWorldAreRefused() {
        assertThatThrownBy(() -> QualityMetrics.mentionsOf("a photo of a <new1> dog"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("prompt \"a photo of a <new1> dog\" is not a caption of the world (without its modifier tokens: \"a photo of a dog\")");
    }

    @Test
    void textAlignmentCountsTheNamedAttributesSeen() {
        Prediction p = SMALL_RED_CUP_YELLOW_DOTS_ON_GRASS;
        assertThat(QualityMetrics.attributeShare(p, QualityMetrics.mentionsOf("a photo of a small red cup with yellow dots on grass"))).isEqualTo(1.0);
        // six named, the pattern colour wrong
        assertThat(QualityMetrics.attributeShare(p, QualityMetrics.mentionsOf("a small red cup with blue dots on grass"))).isEqualTo(5.0 / 6);
        // category only, wrong
        assertThat(QualityMetrics.attributeShare(p, QualityMetrics.mentionsOf("a ball"))).isZero();
        // category right, background wrong
        assertThat(QualityMetrics.attributeShare(p, QualityMetrics.mentionsOf("a <new1> cup on a wooden table"))).isEqualTo(0.5);
        Estimate e = QualityMetrics.textAlignmentOf(List.of(p, p),
                List.of(QualityMetrics.mentionsOf("a ball"), QualityMetrics.mentionsOf("a cup")));
        assertThat(e.mean()).isEqualTo(0.5);
        assertThat(e.standardError()).isCloseTo(0.5, within(1e-12));
        assertThatThrownBy(() -> QualityMetrics.textAlignmentOf(List.of(p), List.of())).hasMessageContaining("1 predictions but 0 prompts");
    }

    @Test
    void imageAlignmentIsConceptProbabilityAndMeanCosine() {
        Prediction a = sure(Category.CUP, Colour.PURPLE, Pattern.ZIGZAG, Colour.ORANGE, Background.SKY, Size.LARGE,
                Concept.ZIGZAG_CUP, 0.9, 1, 0);
        Prediction b = sure(Category.CUP, Colour.PURPLE, Pattern.ZIGZAG, Colour.ORANGE, Background.SKY, Size.LARGE,
                Concept.ZIGZAG_CUP, 0.5, 0, 1);
        QualityMetrics.ImageAlignment ia = QualityMetrics.imageAlignmentOf(List.of(a, b), Concept.ZIGZAG_CUP,
                List.of(pad(1, 0), pad(1, 1)));
        assertThat(ia.conceptProbability().mean()).isCloseTo(0.7, within(1e-7));
        // a: (1 + 1/√2) / 2, b: (0 + 1/√2) / 2
        double s = Math.sqrt(0.5);
        assertThat(ia.embeddingSimilarity().mean()).isCloseTo(((1 + s) / 2 + s / 2) / 2, within(1e-7));
        assertThat(QualityMetrics.imageAlignmentOf(List.of(a), Concept.GIFT_BOX, List.of(pad(1, 0))).conceptProbability().mean()).isZero();
    }

    @Test
    void priorPreservationNeedsTheCategoryAndNotTheConcept() {
        Prediction concept = sure(Category.CUP, Colour.PURPLE, Pattern.ZIGZAG, Colour.ORANGE, Background.SKY, Size.LARGE,
                Concept.ZIGZAG_CUP, 0.9, 1);
        Prediction ordinary = SMALL_RED_CUP_YELLOW_DOTS_ON_GRASS;   // P(zigzag cup) = 0.25
        Prediction ball = sure(Category.BALL, Colour.RED, Pattern.PLAIN, Colour.RED, Background.SKY, Size.LARGE,
                Concept.ZIGZAG_CUP, 0.0, 1);
        Estimate e = QualityMetrics.priorPreservationOf(List.of(concept, ordinary, ball), Category.CUP, Concept.ZIGZAG_CUP);
        assertThat(e.mean()).isCloseTo((0.1 + 0.75 + 0) / 3, within(1e-7));
        assertThat(e.n()).isEqualTo(3);
    }

    /** Each picture against the base model's from the same seed: 1 − cosine, 0 for an unchanged picture. */
    @Test
    void priorDriftPairsPicturesSeedBySeed() {
        Prediction a = withEmbedding(1, 0), b = withEmbedding(0, 2), c = withEmbedding(1, 1);
        Estimate e = QualityMetrics.priorDriftOf(List.of(a, b, c), List.of(a, b, a));
        assertThat(e.n()).isEqualTo(3);
        assertThat(e.mean()).isCloseTo((0 + 0 + (1 - Math.sqrt(0.5))) / 3, within(1e-7));
        assertThat(QualityMetrics.priorDriftOf(List.of(a, b), List.of(b, a)).mean()).isCloseTo(1.0, within(1e-9));
    }

    private static Prediction withEmbedding(float... e) {
        return sure(Category.CUP, Colour.RED, Pattern.PLAIN, Colour.RED, Background.SKY, Size.LARGE, Concept.ZIGZAG_CUP, 0.0, e);
    }

    @Test
    void priorDriftRefusesUnpairedLists() throws Exception {
        QualityMetrics m = new QualityMetrics(new Judge());
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB);
        assertThatThrownBy(() -> m.priorDrift(List.of(img, img), List.of(img))).hasMessageContaining("2 pictures against 1");
    }

    @Test
    void forgettingIsSmallForRealPicturesAndLargeForTheConcept() throws Exception {
        // the shipped judge on rendered pictures: about 2 s, for the 200 real pictures it compares with
        QualityMetrics m = QualityMetrics.shipped();
        List<java.awt.image.BufferedImage> cups = new java.util.ArrayList<>(), concept = new java.util.ArrayList<>();
        for (org.cd4j.world.Sample s : new org.cd4j.world.World(3).priorSamples(Category.CUP, 16, 5)) cups.add(s.image());
        for (org.cd4j.world.Sample s : Concept.ZIGZAG_CUP.views(16)) concept.add(s.image());
        Estimate ordinary = m.priorKernelDistance(cups, Category.CUP);
        Estimate leaked = m.priorKernelDistance(concept, Category.CUP);
        assertThat(Math.abs(ordinary.mean())).isLessThan(3 * ordinary.standardError());
        assertThat(leaked.mean()).isGreaterThan(ordinary.mean() + 5 * leaked.standardError());
        assertThat(leaked.n()).isEqualTo(16);
    }

    @Test
    void cosineOfEmbeddings() {
        assertThat(Prediction.cosine(new float[]{1, 0}, new float[]{2, 0})).isEqualTo(1.0);
        assertThat(Prediction.cosine(new float[]{1, 0}, new float[]{0, 3})).isZero();
        assertThat(Prediction.cosine(new float[]{0, 0}, new float[]{0, 3})).isZero();
        assertThatThrownBy(() -> Prediction.cosine(new float[2], new float[3])).hasMessageContaining("lengths 2 and 3");
    }

    private static float[] pad(float... v) {
        float[] e = new float[Judge.EMBEDDING];
        System.arraycopy(v, 0, e, 0, v.length);
        return e;
    }
}
