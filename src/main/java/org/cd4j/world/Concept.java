package org.cd4j.world;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The held-out instances a fine-tune must learn: each is a combination of category, colour,
 * pattern and pattern colour that {@link World#pretrainingSample} never produces, some with a
 * small shape detail of their own (drawn by {@link ObjectPainter}), so the base model has never
 * seen them but knows how to draw every part.
 */
public enum Concept {
    /** A purple cup with an orange zigzag, and an orange band round its rim (no pretraining cup has one). */
    ZIGZAG_CUP(Category.CUP, Colour.PURPLE, Pattern.ZIGZAG, Colour.ORANGE,
            "a purple cup with an orange zigzag and an orange rim band"),
    /** A blue ball with yellow checks; its shape is an ordinary ball's. */
    CHECKED_BALL(Category.BALL, Colour.BLUE, Pattern.CHECKS, Colour.YELLOW,
            "a blue ball with yellow checks"),
    /** A green house with pink dots under a round dome roof (pretraining houses have pointed roofs). */
    DOME_HOUSE(Category.HOUSE, Colour.GREEN, Pattern.DOTS, Colour.PINK,
            "a green house with pink dots and a round dome roof"),
    /** An orange box with purple stripes, tied with a white ribbon and bow like a present. */
    GIFT_BOX(Category.BOX, Colour.ORANGE, Pattern.STRIPES, Colour.PURPLE,
            "an orange box with purple stripes, tied with a white ribbon and bow");

    private final Category category;
    private final Colour colour;
    private final Pattern pattern;
    private final Colour patternColour;
    private final String description;

    Concept(Category category, Colour colour, Pattern pattern, Colour patternColour, String description) {
        this.category = category;
        this.colour = colour;
        this.pattern = pattern;
        this.patternColour = patternColour;
        this.description = description;
    }

    public Category category() {
        return category;
    }

    public Colour colour() {
        return colour;
    }

    public Pattern pattern() {
        return pattern;
    }

    public Colour patternColour() {
        return patternColour;
    }

    /** What it looks like, in a sentence for people (reports, docs). */
    public String description() {
        return description;
    }

    /** Whether this combination is this concept's (pretraining must never produce it). */
    public boolean matches(Category category, Colour colour, Pattern pattern, Colour patternColour) {
        return this.category == category && this.colour == colour && this.pattern == pattern
                && this.patternColour == patternColour;
    }

    /** The concept at a given place, size, angle and background. */
    public Scene scene(Size size, float x, float y, float angle, Background background, long detailSeed) {
        return new Scene(category, colour, pattern, patternColour, size, x, y, angle, background, this, detailSeed);
    }

    /**
     * {@code n} views of the concept (the pictures a user would take of it): the backgrounds in
     * turn, every size, different places and small rotations; fixed for a given {@code n} and
     * the same first views for any {@code n}. Captioned with the category prompt
     * ("a photo of a cup"); the trainer uses its own instance prompt.
     */
    public List<Sample> views(int n) {
        if (n < 0) throw new IllegalArgumentException("number of views must be >= 0, got " + n);
        List<Sample> out = new ArrayList<>(n);
        String caption = Captions.categoryPrompt(category);
        Background[] backgrounds = Background.values();
        Size[] sizes = {Size.MEDIUM, Size.LARGE, Size.SMALL};
        for (int i = 0; i < n; i++) {
            SplittableRandom rng = Seeds.random(0xC0C0_0000L + ordinal(), i);
            Size size = sizes[i % sizes.length];
            Background bg = backgrounds[(i + ordinal()) % backgrounds.length];
            Scene s = SceneSampler.place(rng, this::scene, size, bg);
            out.add(new Sample(Renderer.render(s), caption, s));
        }
        return out;
    }
}
