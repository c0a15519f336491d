package org.cd4j.world;

/** The kinds of object the world draws; each has its own drawing code in {@link ObjectPainter}. */
public enum Category {
    BALL, CUP, BOX, STAR, TREE, HOUSE;

    /** The caption word ("ball", "cup" ...). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
