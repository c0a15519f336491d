package org.cd4j.world;

/** What is behind the object; each has the phrase a caption uses for it. */
public enum Background {
    PLAIN("on a plain background"),
    SKY("in front of a blue sky"),
    GRASS("on grass"),
    STRIPES("on a striped background"),
    CHECKS("on a checkered background"),
    WOOD("on a wooden table");

    private final String phrase;

    Background(String phrase) {
        this.phrase = phrase;
    }

    /** The caption phrase ("on grass" ...). */
    public String phrase() {
        return phrase;
    }
}
