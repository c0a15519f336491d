package org.cd4j.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The text clean-up the slow Hugging Face {@code CLIPTokenizer} applies when {@code ftfy} is not
 * installed: BERT's {@code BasicTokenizer} with lower-casing on, accent stripping off and
 * punctuation splitting off.
 *
 * <p>Every step copies a Python behaviour, because the ids must equal the reference ones:
 * <ol>
 *   <li>drop NUL, U+FFFD and every character of general category C* except tab, CR and LF;</li>
 *   <li>turn tab, CR, LF and category Zs into a plain space;</li>
 *   <li>put spaces around CJK ideographs (BERT's {@code _is_chinese_char} ranges);</li>
 *   <li>NFC;</li>
 *   <li>split like Python's {@code str.split()}, lower-case each word like {@code str.lower()},
 *       and join the words with single spaces.</li>
 * </ol>
 * Java's {@code String.toLowerCase} is not used: it decides the Greek final sigma by word
 * boundaries, CPython by the Unicode Final_Sigma context of the whole word, and they disagree
 * (for example {@code "Α1Σ"} is {@code "α1σ"} in Python but {@code "α1ς"} in Java).
 */
final class BasicTextCleaner {

    private static final int CAPITAL_SIGMA = 0x03A3;
    private static final char SMALL_SIGMA = '\u03C3';
    private static final char FINAL_SIGMA = '\u03C2';
    private static final int CAPITAL_I_WITH_DOT = 0x0130;

    private BasicTextCleaner() {
    }

    /**
     * Cleans one piece of text (the text between added tokens) and returns its lower-cased words
     * joined by single spaces; the result has no leading, trailing or repeated spaces and is empty
     * when nothing but whitespace and dropped characters was given.
     */
    static String clean(String text) {
        StringBuilder spaced = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                continue;
            }
            if (isBertWhitespace(cp)) {
                spaced.append(' ');
            } else if (isCjkIdeograph(cp)) {
                spaced.append(' ').appendCodePoint(cp).append(' ');
            } else {
                spaced.appendCodePoint(cp);
            }
        }
        String normalized = Normalizer.normalize(spaced, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(normalized.length());
        for (String word : splitPythonWhitespace(normalized)) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(pythonLower(word));
        }
        return out.toString();
    }

    /** BERT's {@code _is_control}: category C* (Cc, Cf, Cs, Co, Cn), except tab, LF and CR. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
                return true;
            default:
                return false;
        }
    }

    /** BERT's {@code _is_whitespace}: space, tab, LF, CR and category Zs (not Zl/Zp). */
    static boolean isBertWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'
                || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /**
     * BERT's {@code _is_chinese_char}: the CJK Unified Ideographs blocks and their extensions plus
     * the compatibility ideographs. Kana and Hangul are deliberately not included.
     */
    static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /**
     * Python's {@code str.isspace()}: bidirectional class WS, B or S, or category Zs. Wider than
     * {@link Character#isWhitespace} (it includes U+001C..U+001F, U+0085, NBSP and U+202F) and than
     * BERT's whitespace (it includes U+2028 and U+2029, which survive the clean-up and still split).
     */
    static boolean isPythonSpace(int cp) {
        if (cp <= 0x20) {
            return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
        }
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** Python's {@code str.split()} with no argument: runs of whitespace separate, no empty words. */
    static List<String> splitPythonWhitespace(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (isPythonSpace(cp)) {
                if (start >= 0) {
                    words.add(text.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }

    /**
     * CPython's {@code str.lower()}: the simple lower-case mapping, except U+0130 which becomes
     * "i" + U+0307 (its only unconditional multi-character mapping), and capital sigma, which
     * becomes final sigma in the Unicode Final_Sigma context of the given string.
     */
    static String pythonLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == CAPITAL_I_WITH_DOT) {
                out.append('i').append('\u0307');
            } else if (cp == CAPITAL_SIGMA) {
                out.append(isFinalSigma(s, i) ? FINAL_SIGMA : SMALL_SIGMA);
            } else {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /**
     * CPython's {@code handle_capital_sigma}: final when a cased letter precedes (skipping
     * case-ignorable characters) and no cased letter follows (skipping them too).
     */
    private static boolean isFinalSigma(String s, int index) {
        int j = index;
        int before = -1;
        while (j > 0) {
            int cp = s.codePointBefore(j);
            j -= Character.charCount(cp);
            if (!isCaseIgnorable(cp)) {
                before = cp;
                break;
            }
        }
        if (before < 0 || !isCased(before)) {
            return false;
        }
        for (int k = index + 1; k < s.length(); ) {
            int cp = s.codePointAt(k);
            if (!isCaseIgnorable(cp)) {
                return !isCased(cp);
            }
            k += Character.charCount(cp);
        }
        return true;
    }

    /** Unicode "Cased": Lowercase or Uppercase (both include their Other_* parts) or Lt. */
    static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /**
     * Unicode "Case_Ignorable": categories Mn, Me, Cf, Lm, Sk, plus the Word_Break classes
     * MidLetter, MidNumLet and Single_Quote, which Java does not expose and are listed here.
     */
    static boolean isCaseIgnorable(int cp) {
        switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK:
            case Character.ENCLOSING_MARK:
            case Character.FORMAT:
            case Character.MODIFIER_LETTER:
            case Character.MODIFIER_SYMBOL:
                return true;
            default:
                break;
        }
        switch (cp) {
            case 0x0027: case 0x002E: case 0x003A: case 0x00B7: case 0x0387: case 0x055F:
            case 0x05F4: case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13:
            case 0xFE52: case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
                return true;
            default:
                return false;
        }
    }
}
