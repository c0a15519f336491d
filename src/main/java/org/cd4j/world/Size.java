package org.cd4j.world;

/** How large an object is drawn, as a fraction of the picture's side. */
public enum Size {
    SMALL(0.40f), MEDIUM(0.55f), LARGE(0.72f);

    private final float extent;

    Size(float extent) {
        this.extent = extent;
    }

    /** The caption word ("small" ...). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The side of the object's unit box as a fraction of the picture's side. */
    public float extent() {
        return extent;
    }
}
