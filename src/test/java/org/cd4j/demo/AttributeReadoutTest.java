package org.cd4j.demo;

import org.cd4j.judge.Head;
import org.cd4j.judge.Judge;
import org.cd4j.judge.Prediction;
import org.cd4j.world.Captions;
import org.cd4j.world.Category;
import org.cd4j.world.Colour;
import org.cd4j.world.Mentions;
import org.cd4j.world.Pattern;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class AttributeReadoutTest {
    @Test
    void promptsNameEveryPatternOfFourCategoriesAndAreCaptionsOfTheWorld() {
        List<Mentions> asked = AttributeReadout.asked();
        assertThat(asked).hasSize(16);
        assertThat(new HashSet<>(asked.stream().map(Mentions::pattern).toList()))
                .containsExactlyInAnyOrder(Pattern.DOTS, Pattern.STRIPES, Pattern.ZIGZAG, Pattern.CHECKS);
        for (Mentions m : asked) {
            assertThat(Captions.parse(Captions.text(m))).isEqualTo(m);
            assertThat(m.colour()).isNotNull().isNotEqualTo(m.patternColour());
        }
        assertThat(Captions.text(asked.get(2))).isEqualTo("a photo of a red cup with a yellow zigzag");
    }

    @Test
    void sharesCountEachNamedAttributeRead() {
        Mentions cup = AttributeReadout.asked().get(2); // red cup, yellow zigzag
        Prediction right = read(Category.CUP, Colour.RED, Pattern.ZIGZAG, Colour.YELLOW);
        Prediction plainRedCup = read(Category.CUP, Colour.RED, Pattern.PLAIN, Colour.RED);
        Prediction blueBall = read(Category.BALL, Colour.BLUE, Pattern.DOTS, Colour.YELLOW);
        AttributeReadout r = AttributeReadout.of(List.of(right, plainRedCup, blueBall, plainRedCup), List.of(cup, cup, cup, cup));
        assertThat(r.category().mean()).isEqualTo(0.75);
        assertThat(r.colour().mean()).isEqualTo(0.75);
        assertThat(r.pattern().mean()).isEqualTo(0.25);
        assertThat(r.patternColour().mean()).isEqualTo(0.5);
        assertThat(r.pattern().standardError()).isCloseTo(0.25, within(1e-12)); // 1,0,0,0: s² = 1/4, se = √(1/4/4)
        assertThat(r.row()).isEqualTo("| 0.750 ± 0.250 | 0.750 ± 0.250 | 0.250 ± 0.250 | 0.500 ± 0.289 |");
    }

    @Test
    void refusesUnpairedLists() {
        Prediction p = read(Category.CUP, Colour.RED, Pattern.ZIGZAG, Colour.YELLOW);
        assertThatThrownBy(() -> AttributeReadout.of(List.of(p), List.of())).hasMessageContaining("1 predictions for 0 prompts");
    }

    /** A prediction sure of the given attributes. */
    private static Prediction read(Category category, Colour colour, Pattern pattern, Colour patternColour) {
        Map<Head, float[]> p = new EnumMap<>(Head.class);
        p.put(Head.CATEGORY, oneHot(Head.CATEGORY, category.ordinal()));
        p.put(Head.COLOUR, oneHot(Head.COLOUR, colour.ordinal()));
        p.put(Head.PATTERN, oneHot(Head.PATTERN, pattern.ordinal()));
        p.put(Head.PATTERN_COLOUR, oneHot(Head.PATTERN_COLOUR, patternColour.ordinal()));
        p.put(Head.BACKGROUND, oneHot(Head.BACKGROUND, 0));
        p.put(Head.SIZE, oneHot(Head.SIZE, 0));
        p.put(Head.CONCEPT, oneHot(Head.CONCEPT, Head.NONE));
        return new Prediction(p, new float[Judge.EMBEDDING]);
    }

    private static float[] oneHot(Head h, int i) {
        float[] v = new float[h.size()];
        v[i] = 1;
        return v;
    }
}
