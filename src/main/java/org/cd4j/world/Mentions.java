package org.cd4j.world;

import java.util.Objects;

/**
 * What a caption says about a scene: the category always, each other attribute only when
 * mentioned ({@code null} otherwise). {@link Captions} turns it into text and back, so a judge can
 * read which attributes a prompt asked for.
 *
 * @param photo         whether the caption starts "a photo of"
 * @param size          the size named, or null
 * @param colour        the colour named, or null
 * @param category      the category (always named)
 * @param pattern       the pattern named, or null (never {@link Pattern#PLAIN})
 * @param patternColour the pattern's colour, or null (only with a pattern)
 * @param background    the background named, or null
 */
public record Mentions(boolean photo, Size size, Colour colour, Category category, Pattern pattern,
                       Colour patternColour, Background background) {
    public Mentions {
        Objects.requireNonNull(category, "category");
        if (pattern == Pattern.PLAIN) throw new IllegalArgumentException("captions never name the plain pattern");
        if (patternColour != null && pattern == null)
            throw new IllegalArgumentException("a pattern colour needs a pattern");
    }

    /** Whether everything mentioned is true of {@code s}. */
    public boolean trueOf(Scene s) {
        return category == s.category()
                && (size == null || size == s.size())
                && (colour == null || colour == s.colour())
                && (pattern == null || pattern == s.pattern())
                && (patternColour == null || patternColour == s.patternColour())
                && (background == null || background == s.background());
    }
}
