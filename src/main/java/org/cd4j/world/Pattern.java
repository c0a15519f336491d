package org.cd4j.world;

/**
 * A pattern painted on the object in a second colour. Patterns make concepts learnable by
 * fine-tuning cross-attention alone: a concept is a new combination of a category, a colour, a
 * pattern and a pattern colour, each of which the pretrained model knows how to draw.
 */
public enum Pattern {
    PLAIN(null), DOTS("dots"), STRIPES("stripes"), ZIGZAG("zigzag"), CHECKS("checks");

    private final String word;

    Pattern(String word) {
        this.word = word;
    }

    /** The caption word ("dots" ...); {@code null} for {@link #PLAIN}, which captions never name. */
    public String word() {
        return word;
    }

    /** Whether the caption names one of it ("a zigzag") rather than many ("dots"). */
    boolean singular() {
        return this == ZIGZAG;
    }
}
