package org.cd4j.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CaptionsTest {
    @Test
    void writesTheDocumentedForms() {
        assertThat(Captions.text(new Mentions(true, Size.SMALL, Colour.RED, Category.CUP, Pattern.DOTS, Colour.YELLOW,
                Background.GRASS))).isEqualTo("a photo of a small red cup with yellow dots on grass");
        assertThat(Captions.text(new Mentions(false, null, Colour.RED, Category.CUP, null, null, Background.GRASS)))
                .isEqualTo("a red cup on grass");
        assertThat(Captions.text(new Mentions(false, null, null, Category.CUP, null, null, null))).isEqualTo("a cup");
        assertThat(Captions.text(new Mentions(false, null, Colour.ORANGE, Category.HOUSE, Pattern.ZIGZAG, Colour.ORANGE,
                Background.SKY))).isEqualTo("an orange house with an orange zigzag in front of a blue sky");
        assertThat(Captions.text(new Mentions(true, Size.LARGE, null, Category.STAR, Pattern.ZIGZAG, null, null)))
                .isEqualTo("a photo of a large star with a zigzag");
        assertThat(Captions.categoryPrompt(Category.TREE)).isEqualTo("a photo of a tree");
    }

    @Test
    void captionsNameTheCategoryAndOnlyTrueAttributesAndReadBack() {
        World w = new World(21);
        int withColour = 0, withPattern = 0, withBackground = 0, withSize = 0, bare = 0, n = 5000;
        for (long i = 0; i < n; i++) {
            Scene s = w.pretrainingScene(i);
            String caption = w.caption(s);
            assertThat(caption).contains(s.category().word());
            Mentions m = Captions.parse(caption);
            assertThat(m.trueOf(s)).as("%s for %s", caption, s).isTrue();
            assertThat(Captions.text(m)).isEqualTo(caption);
            if (m.colour() != null) withColour++;
            if (m.pattern() != null) withPattern++;
            if (m.background() != null) withBackground++;
            if (m.size() != null) withSize++;
            if (m.colour() == null && m.pattern() == null && m.background() == null && m.size() == null) bare++;
        }
        // every kind of mention occurs often, and so do bare category prompts
        assertThat(withColour).isBetween(n / 2, n);
        assertThat(withPattern).isGreaterThan(n / 5);
        assertThat(withBackground).isGreaterThan(n / 3);
        assertThat(withSize).isGreaterThan(n / 5);
        assertThat(bare).isGreaterThan(n / 50);
    }

    @Test
    void namingPatternAddsTheScenesPatternOnlyWhereACaptionLeftItOut() {
        World w = new World(21);
        int patterned = 0, named = 0, withColour = 0;
        for (long i = 0; i < 2000; i++) {
            Scene s = w.pretrainingScene(i);
            java.util.SplittableRandom r = new java.util.SplittableRandom(i), copy = new java.util.SplittableRandom(i);
            Mentions m = Captions.choose(s, new java.util.SplittableRandom(i + 7));
            Mentions out = Captions.namingPattern(m, s, 1.0, r);
            assertThat(out.trueOf(s)).isTrue();
            if (s.pattern() == Pattern.PLAIN || m.pattern() != null) {
                assertThat(out).isSameAs(m);
                assertThat(r.nextLong()).as("nothing drawn").isEqualTo(copy.nextLong());
                continue;
            }
            patterned++;
            assertThat(out.pattern()).isEqualTo(s.pattern());
            assertThat(new Mentions(out.photo(), out.size(), out.colour(), out.category(), null, null, out.background()))
                    .isEqualTo(m);
            named++;
            if (out.patternColour() != null) withColour++;
            assertThat(Captions.namingPattern(m, s, 0.0, new java.util.SplittableRandom(i))).isSameAs(m);
        }
        assertThat(named).isEqualTo(patterned).isGreaterThan(300);
        // its colour with the usual chance, 0.8
        assertThat(withColour / (double) named).isBetween(0.72, 0.88);
    }

    @Test
    void parseRefusesTextOutsideTheLanguage() {
        for (String bad : new String[] {"a teal cup", "an red cup", "a cup with a dots", "a photo of cup", "cups",
                "a cup on the moon", "a red cup with zigzag"})
            assertThatThrownBy(() -> Captions.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
    }

    @Test
    void mentionsRefuseNamingPlainOrAColourWithoutPattern() {
        assertThatThrownBy(() -> new Mentions(false, null, null, Category.CUP, Pattern.PLAIN, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Mentions(false, null, null, Category.CUP, null, Colour.RED, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
