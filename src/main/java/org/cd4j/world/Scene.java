package org.cd4j.world;

import java.util.Objects;

/**
 * Everything that decides one picture: {@link World#render} draws it deterministically from these
 * fields alone.
 *
 * @param category      what the object is
 * @param colour        its main colour
 * @param pattern       the pattern painted on it
 * @param patternColour the pattern's colour; equals {@code colour} for {@link Pattern#PLAIN}, differs otherwise
 * @param size          how large it is drawn
 * @param x             centre, as a fraction of the width (0 left, 1 right)
 * @param y             centre, as a fraction of the height (0 top, 1 bottom)
 * @param angle         rotation in radians, clockwise
 * @param background    what is behind it
 * @param concept       the held-out concept this is a view of, or {@code null} for ordinary objects
 * @param detailSeed    seeds the small things: background texture, noise, caption wording
 */
public record Scene(Category category, Colour colour, Pattern pattern, Colour patternColour, Size size,
                    float x, float y, float angle, Background background, Concept concept, long detailSeed) {
    public Scene {
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(colour, "colour");
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(patternColour, "patternColour");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(background, "background");
        if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1))
            throw new IllegalArgumentException("scene centre must lie in [0, 1]², got (" + x + ", " + y + ")");
        if (!Float.isFinite(angle)) throw new IllegalArgumentException("scene angle must be finite, got " + angle);
        if (pattern == Pattern.PLAIN && patternColour != colour)
            throw new IllegalArgumentException("a plain object's patternColour must equal its colour, got "
                    + patternColour + " on " + colour);
        if (pattern != Pattern.PLAIN && patternColour == colour)
            throw new IllegalArgumentException("a " + pattern + " pattern must differ from the object's colour "
                    + colour);
        if (concept != null && !concept.matches(category, colour, pattern, patternColour))
            throw new IllegalArgumentException("scene does not have concept " + concept + "'s category and colours");
    }

    /** Whether this is the combination of some concept (whether or not it is marked as one). */
    public boolean isConceptCombination() {
        for (Concept c : Concept.values()) if (c.matches(category, colour, pattern, patternColour)) return true;
        return false;
    }
}
