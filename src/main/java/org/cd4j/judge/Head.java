package org.cd4j.judge;

import org.cd4j.world.Background;
import org.cd4j.world.Category;
import org.cd4j.world.Colour;
import org.cd4j.world.Concept;
import org.cd4j.world.Pattern;
import org.cd4j.world.Scene;
import org.cd4j.world.Size;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The judge's outputs: one classifier head per attribute of a {@link Scene}, each with its
 * classes in the order of the world's enums. {@link #CONCEPT} has the four concepts in their
 * declared order, then {@link #NONE} for every ordinary object.
 */
public enum Head {
    CATEGORY(names(Category.values())),
    COLOUR(names(Colour.values())),
    PATTERN(names(Pattern.values())),
    /** The pattern's colour; only defined (and only trained) for patterned objects. */
    PATTERN_COLOUR(names(Colour.values())),
    BACKGROUND(names(Background.values())),
    SIZE(names(Size.values())),
    CONCEPT(concepts());

    /** Index of "no concept" in the {@link #CONCEPT} head. */
    public static final int NONE = Concept.values().length;
    /** Label of an attribute that does not apply (a plain object's pattern colour); ignored by training and accuracy. */
    public static final int UNDEFINED = -100;

    private final List<String> classes;

    Head(List<String> classes) {
        this.classes = classes;
    }

    /** The class names, lower case ("cup", "purple", "zigzag_cup", "none" ...). */
    public List<String> classes() {
        return classes;
    }

    public int size() {
        return classes.size();
    }

    /** The state-dict name segment of this head ({@code heads.pattern_colour}). */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The class index {@code s} has under this head, or {@link #UNDEFINED}. */
    public int label(Scene s) {
        return switch (this) {
            case CATEGORY -> s.category().ordinal();
            case COLOUR -> s.colour().ordinal();
            case PATTERN -> s.pattern().ordinal();
            case PATTERN_COLOUR -> s.pattern() == Pattern.PLAIN ? UNDEFINED : s.patternColour().ordinal();
            case BACKGROUND -> s.background().ordinal();
            case SIZE -> s.size().ordinal();
            case CONCEPT -> s.concept() == null ? NONE : s.concept().ordinal();
        };
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).toList();
    }

    private static List<String> concepts() {
        List<String> out = new java.util.ArrayList<>(names(Concept.values()));
        out.add("none");
        return List.copyOf(out);
    }
}
