package org.cd4j.world;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

/**
 * The caption language of the world: "[a photo of] a|an [size] [colour] category [with [a]
 * [colour] pattern] [background phrase]", e.g. "a photo of a small red cup with yellow dots on
 * grass", "a red cup on grass", "a cup". Text is made from {@link Mentions} and read back into
 * them.
 */
public final class Captions {
    private Captions() {}

    /** Chance that a caption names each attribute; the category is always named. */
    static final double P_PHOTO = 0.5, P_SIZE = 0.35, P_COLOUR = 0.75, P_PATTERN = 0.6,
            P_PATTERN_COLOUR = 0.8, P_BACKGROUND = 0.5;

    private static final java.util.regex.Pattern GRAMMAR = java.util.regex.Pattern.compile(
            "(a photo of )?(a|an) (?:(" + words(Size.values(), Size::word) + ") )?"
                    + "(?:(" + words(Colour.values(), Colour::word) + ") )?"
                    + "(" + words(Category.values(), Category::word) + ")"
                    + "(?: with (an? )?(?:(" + words(Colour.values(), Colour::word) + ") )?("
                    + words(Arrays.copyOfRange(Pattern.values(), 1, Pattern.values().length), Pattern::word) + "))?"
                    + "(?: (" + words(Background.values(), Background::phrase) + "))?");

    /** The category prompt the prior set and concept views are captioned with ("a photo of a cup"). */
    public static String categoryPrompt(Category c) {
        return text(new Mentions(true, null, null, c, null, null, null));
    }

    /** A seeded choice of which of the scene's attributes to name. */
    public static Mentions choose(Scene s, SplittableRandom rng) {
        boolean photo = rng.nextDouble() < P_PHOTO;
        Size size = rng.nextDouble() < P_SIZE ? s.size() : null;
        Colour colour = rng.nextDouble() < P_COLOUR ? s.colour() : null;
        Pattern pattern = null;
        Colour patternColour = null;
        if (s.pattern() != Pattern.PLAIN && rng.nextDouble() < P_PATTERN) {
            pattern = s.pattern();
            if (rng.nextDouble() < P_PATTERN_COLOUR) patternColour = s.patternColour();
        }
        Background bg = rng.nextDouble() < P_BACKGROUND ? s.background() : null;
        return new Mentions(photo, size, colour, s.category(), pattern, patternColour, bg);
    }

    /**
     * {@code m} with the scene's pattern named after all, with chance {@code share}, when {@code m}
     * left it out (and then its colour with the usual chance); {@code m} itself otherwise, and for a
     * plain scene. Draws nothing when there is nothing to add.
     */
    public static Mentions namingPattern(Mentions m, Scene s, double share, SplittableRandom rng) {
        if (s.pattern() == Pattern.PLAIN || m.pattern() != null || !(rng.nextDouble() < share)) return m;
        Colour patternColour = rng.nextDouble() < P_PATTERN_COLOUR ? s.patternColour() : null;
        return new Mentions(m.photo(), m.size(), m.colour(), m.category(), s.pattern(), patternColour, m.background());
    }

    /** The caption text of {@code m}. */
    public static String text(Mentions m) {
        StringBuilder noun = new StringBuilder();
        if (m.size() != null) noun.append(m.size().word()).append(' ');
        if (m.colour() != null) noun.append(m.colour().word()).append(' ');
        noun.append(m.category().word());
        if (m.pattern() != null) {
            noun.append(" with ");
            String rest = (m.patternColour() != null ? m.patternColour().word() + " " : "") + m.pattern().word();
            if (m.pattern().singular()) noun.append(article(rest)).append(' ');
            noun.append(rest);
        }
        if (m.background() != null) noun.append(' ').append(m.background().phrase());
        return (m.photo() ? "a photo of " : "") + article(noun.toString()) + " " + noun;
    }

    /**
     * Reads a caption back into what it mentions.
     *
     * @throws IllegalArgumentException when {@code caption} is not in the world's caption language
     */
    public static Mentions parse(String caption) {
        Matcher m = GRAMMAR.matcher(caption);
        if (!m.matches()) throw new IllegalArgumentException("not a caption of the world: \"" + caption + "\"");
        Pattern pattern = m.group(8) == null ? null : byWord(Pattern.values(), Pattern::word, m.group(8));
        Mentions out = new Mentions(m.group(1) != null,
                m.group(3) == null ? null : byWord(Size.values(), Size::word, m.group(3)),
                m.group(4) == null ? null : byWord(Colour.values(), Colour::word, m.group(4)),
                byWord(Category.values(), Category::word, m.group(5)),
                pattern,
                m.group(7) == null ? null : byWord(Colour.values(), Colour::word, m.group(7)),
                m.group(9) == null ? null : byWord(Background.values(), Background::phrase, m.group(9)));
        // the grammar allows any article; only the right ones are captions
        if (!text(out).equals(caption))
            throw new IllegalArgumentException("not a caption of the world (articles): \"" + caption + "\"");
        return out;
    }

    private static String article(String next) {
        return "aeiou".indexOf(next.charAt(0)) >= 0 ? "an" : "a";
    }

    private static <T> String words(T[] values, Function<T, String> word) {
        return Arrays.stream(values).map(word).map(java.util.regex.Pattern::quote).collect(Collectors.joining("|"));
    }

    private static <T> T byWord(T[] values, Function<T, String> word, String w) {
        for (T v : values) if (w.equals(word.apply(v))) return v;
        throw new IllegalStateException("no value named " + w); // the grammar only admits known words
    }
}
