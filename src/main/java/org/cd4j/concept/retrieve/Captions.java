package org.cd4j.concept.retrieve;

import java.util.regex.Pattern;

/**
 * Captions as the real-prior layout stores them: one per line of {@code caption.txt}. A caption
 * must therefore hold no line break of any kind Python's {@code str.splitlines()} (the reference
 * trainers' reader) or cd4j's reader splits on; the reference writes LAION captions raw, so one
 * with a newline shifts every later caption against its picture. Here every such character and
 * every run of white space becomes one space, and the ends are stripped.
 */
public final class Captions {
    /** White space, plus the separators {@code splitlines} knows that {@code \s} does not (\x1c-\x1e, \x85, \u2028, \u2029). */
    private static final Pattern BREAKS = Pattern.compile("[\\s\\x1c\\x1d\\x1e\\x85\\u2028\\u2029]+");

    private Captions() {}

    /** The caption on one line: null as "", line breaks and runs of white space as one space, stripped. */
    public static String clean(String caption) {
        if (caption == null) return "";
        return BREAKS.matcher(caption).replaceAll(" ").strip();
    }

    /** The cleaned caption, or {@code fallback} (the class prompt) when nothing is left of it. */
    public static String orElse(String caption, String fallback) {
        String c = clean(caption);
        return c.isEmpty() ? clean(fallback) : c;
    }
}
