package org.cd4j.world;

import java.awt.Color;

/**
 * The colours objects and their patterns are painted in: clearly distinct hues, each named by
 * one caption word, so a judge can tell them apart at 64×64 and a prompt can ask for them.
 */
public enum Colour {
    RED(214, 38, 38),
    ORANGE(244, 134, 24),
    YELLOW(246, 212, 36),
    GREEN(48, 168, 58),
    BLUE(36, 86, 222),
    PURPLE(136, 52, 186),
    PINK(246, 128, 196),
    WHITE(244, 244, 240),
    BROWN(128, 74, 34),
    BLACK(34, 34, 38);

    private final int r, g, b;

    Colour(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** The caption word ("red" ...). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The 0xRRGGBB value. */
    public int rgb() {
        return (r << 16) | (g << 8) | b;
    }

    /** As an AWT colour. */
    public Color awt() {
        return new Color(r, g, b);
    }
}
