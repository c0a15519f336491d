package org.cd4j.io;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Parsing the text arguments of pickle protocol 0 opcodes (INT, LONG, FLOAT, STRING, UNICODE,
 * PUT/GET), which old or hand-made pickles still use, and printing numbers as Python does.
 */
final class PickleText {
    /** Makes the error for a malformed argument. */
    @FunctionalInterface
    interface Err {
        FormatException get();
    }

    private PickleText() {}

    /** A {@link Long} when it fits, else the {@link BigInteger}. */
    static Object normalize(BigInteger b) {
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    /** INT: "01"/"00" are True/False (protocol 0 booleans), otherwise a decimal integer. */
    static Object intLine(String s, Err err) throws FormatException {
        if (s.equals("01")) return Boolean.TRUE;
        if (s.equals("00")) return Boolean.FALSE;
        return parseInt(s, err);
    }

    /** LONG: a decimal integer with an optional trailing 'L'. */
    static Object longLine(String s, Err err) throws FormatException {
        return parseInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s, err);
    }

    private static Object parseInt(String s, Err err) throws FormatException {
        try {
            return normalize(new BigInteger(s.trim()));
        } catch (NumberFormatException e) {
            throw err.get();
        }
    }

    /** FLOAT: Python's repr of a float. */
    static Double floatLine(String s, Err err) throws FormatException {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        switch (t) {
            case "inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            case "nan": return Double.NaN;
            default:
                try {
                    return Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw err.get();
                }
        }
    }

    /** PUT/GET memo index. */
    static long index(String s, Err err) throws FormatException {
        try {
            long v = Long.parseLong(s.trim());
            if (v < 0) throw err.get();
            return v;
        } catch (NumberFormatException e) {
            throw err.get();
        }
    }

    /** STRING: a quoted Python 2 byte string with backslash escapes. */
    static byte[] quotedString(String s, Err err) throws FormatException {
        if (s.length() < 2 || s.charAt(0) != s.charAt(s.length() - 1) || (s.charAt(0) != '\'' && s.charAt(0) != '"')) {
            throw err.get();
        }
        String body = s.substring(1, s.length() - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                out.write(c);
                continue;
            }
            if (++i >= body.length()) throw err.get();
            char e = body.charAt(i);
            switch (e) {
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case 'r' -> out.write('\r');
                case '0' -> out.write(0);
                case '\\', '\'', '"' -> out.write(e);
                case 'x' -> {
                    if (i + 2 >= body.length()) throw err.get();
                    try {
                        out.write(Integer.parseInt(body.substring(i + 1, i + 3), 16));
                    } catch (RuntimeException ex) {
                        throw err.get();
                    }
                    i += 2;
                }
                default -> { out.write('\\'); out.write(e); }
            }
        }
        return out.toByteArray();
    }

    /** UNICODE: Latin-1 text with {@code \}{@code uXXXX} and {@code \}{@code UXXXXXXXX} escapes. */
    static String rawUnicodeEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
                int len = s.charAt(i + 1) == 'u' ? 4 : 8;
                if (i + 2 + len <= s.length()) {
                    try {
                        sb.appendCodePoint(Integer.parseInt(s.substring(i + 2, i + 2 + len), 16));
                        i += 1 + len;
                        continue;
                    } catch (RuntimeException ignored) {
                        // not an escape after all: keep the text
                    }
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** A float as Python's {@code repr} prints it (close enough for dict keys). */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        return Double.toString(d);
    }

    /** Bytes as Latin-1 text, the inverse of {@code _codecs.encode(text, 'latin1')}. */
    static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
