package org.cd4j.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorldTest {
    static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void sameSeedAndIndexGiveIdenticalSamples() {
        for (long i : new long[] {0, 1, 17, 123_456_789L}) {
            Sample a = new World(42).pretrainingSample(i), b = new World(42).pretrainingSample(i);
            assertThat(a.scene()).isEqualTo(b.scene());
            assertThat(a.caption()).isEqualTo(b.caption());
            assertThat(pixels(a.image())).isEqualTo(pixels(b.image()));
        }
    }

    @Test
    void differentIndexOrSeedGivesDifferentSamples() {
        World w = new World(42);
        assertThat(pixels(w.pretrainingSample(0).image())).isNotEqualTo(pixels(w.pretrainingSample(1).image()));
        assertThat(pixels(w.pretrainingSample(5).image()))
                .isNotEqualTo(pixels(new World(43).pretrainingSample(5).image()));
    }

    @Test
    void imagesAre64x64Rgb() {
        BufferedImage img = new World(1).pretrainingSample(3).image();
        assertThat(img.getWidth()).isEqualTo(World.RESOLUTION);
        assertThat(img.getHeight()).isEqualTo(World.RESOLUTION);
        assertThat(img.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
    }

    @Test
    void renderDependsOnlyOnTheScene() {
        Scene s = new World(9).pretrainingScene(4);
        assertThat(pixels(new World(1).render(s))).isEqualTo(pixels(new World(2).render(s)));
        Scene moved = new Scene(s.category(), s.colour(), s.pattern(), s.patternColour(), s.size(),
                s.x() * 0.9f, s.y(), s.angle(), s.background(), null, s.detailSeed());
        assertThat(pixels(new World(1).render(moved))).isNotEqualTo(pixels(new World(1).render(s)));
    }

    @Test
    void pretrainingNeverEmitsAConceptCombinationAndCoversEveryValue() {
        World w = new World(3);
        Set<Category> categories = EnumSet.noneOf(Category.class);
        Set<Colour> colours = EnumSet.noneOf(Colour.class), patternColours = EnumSet.noneOf(Colour.class);
        Set<Pattern> patterns = EnumSet.noneOf(Pattern.class);
        Set<Size> sizes = EnumSet.noneOf(Size.class);
        Set<Background> backgrounds = EnumSet.noneOf(Background.class);
        int nearConcept = 0;
        for (long i = 0; i < 50_000; i++) {
            Scene s = w.pretrainingScene(i);
            assertThat(s.concept()).isNull();
            assertThat(s.isConceptCombination()).as("scene %d: %s", i, s).isFalse();
            categories.add(s.category());
            colours.add(s.colour());
            patterns.add(s.pattern());
            if (s.pattern() != Pattern.PLAIN) patternColours.add(s.patternColour());
            sizes.add(s.size());
            backgrounds.add(s.background());
            for (Concept c : Concept.values())
                if (c.category() == s.category() && c.colour() == s.colour() && c.pattern() == s.pattern()) nearConcept++;
        }
        assertThat(categories).containsExactlyInAnyOrder(Category.values());
        assertThat(colours).containsExactlyInAnyOrder(Colour.values());
        assertThat(patternColours).containsExactlyInAnyOrder(Colour.values());
        assertThat(patterns).containsExactlyInAnyOrder(Pattern.values());
        assertThat(sizes).containsExactlyInAnyOrder(Size.values());
        assertThat(backgrounds).containsExactlyInAnyOrder(Background.values());
        // the concepts' neighbours (same object and pattern, another pattern colour) are seen: only the exact combination is held out
        assertThat(nearConcept).isGreaterThan(100);
    }

    @Test
    void priorSamplesAreOrdinaryObjectsOfTheCategoryWithTheCategoryPrompt() {
        World w = new World(5);
        List<Sample> prior = w.priorSamples(Category.CUP, 40, 11);
        assertThat(prior).hasSize(40);
        for (Sample s : prior) {
            assertThat(s.caption()).isEqualTo("a photo of a cup");
            assertThat(s.scene().category()).isEqualTo(Category.CUP);
            assertThat(s.scene().isConceptCombination()).isFalse();
        }
        assertThat(prior.stream().map(s -> s.scene().colour()).distinct().count()).isGreaterThan(3);
        assertThat(pixels(w.priorSamples(Category.CUP, 3, 11).get(2).image())).isEqualTo(pixels(prior.get(2).image()));
        assertThat(w.priorSamples(Category.CUP, 1, 12).get(0).scene()).isNotEqualTo(prior.get(0).scene());
        assertThatThrownBy(() -> w.priorSamples(Category.CUP, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scenesRefuseInconsistentPatterns() {
        assertThatThrownBy(() -> new Scene(Category.CUP, Colour.RED, Pattern.PLAIN, Colour.BLUE, Size.SMALL,
                0.5f, 0.5f, 0, Background.PLAIN, null, 0)).hasMessageContaining("plain");
        assertThatThrownBy(() -> new Scene(Category.CUP, Colour.RED, Pattern.DOTS, Colour.RED, Size.SMALL,
                0.5f, 0.5f, 0, Background.PLAIN, null, 0)).hasMessageContaining("DOTS");
        assertThatThrownBy(() -> new Scene(Category.BALL, Colour.RED, Pattern.DOTS, Colour.BLUE, Size.SMALL,
                0.5f, 0.5f, 0, Background.PLAIN, Concept.CHECKED_BALL, 0)).hasMessageContaining("CHECKED_BALL");
        assertThatThrownBy(() -> new Scene(Category.BALL, Colour.RED, Pattern.PLAIN, Colour.RED, Size.SMALL,
                1.5f, 0.5f, 0, Background.PLAIN, null, 0)).hasMessageContaining("[0, 1]");
    }

    @Test
    void logsRenderSpeed() {
        World w = new World(8);
        for (int i = 0; i < 50; i++) w.pretrainingSample(i); // warm-up
        int n = 500;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) w.pretrainingSample(1000 + i);
        double ms = (System.nanoTime() - t0) / 1e6 / n;
        System.out.printf("World: %.3f ms per pretraining sample (render + caption), %d samples%n", ms, n);
        assertThat(ms).isPositive();
    }
}
