package org.cd4j.io;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of {@code config.json} fields with defaults: a missing or null field gives the
 * default, a field of the wrong type an {@link IllegalArgumentException} naming the field and
 * its value (callers prefix the file name), so every config record validates the same way.
 */
public final class JsonFields {
    private JsonFields() {}

    public static int integer(JsonNode root, String name, int def) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return def;
        return integerValue(n, name);
    }

    /** One JSON value as an int, or an error naming {@code name}. */
    public static int integerValue(JsonNode n, String name) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException("field " + name + " must be an integer, got " + n);
        }
        return n.intValue();
    }

    public static double number(JsonNode root, String name, double def) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return def;
        if (!n.isNumber()) throw new IllegalArgumentException("field " + name + " must be a number, got " + n);
        return n.doubleValue();
    }

    public static boolean bool(JsonNode root, String name, boolean def) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return def;
        if (!n.isBoolean()) throw new IllegalArgumentException("field " + name + " must be true or false, got " + n);
        return n.booleanValue();
    }

    public static String string(JsonNode root, String name, String def) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return def;
        if (!n.isTextual()) throw new IllegalArgumentException("field " + name + " must be a string, got " + n);
        return n.textValue();
    }

    public static List<Integer> integers(JsonNode root, String name, List<Integer> def) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return def;
        if (!n.isArray()) throw new IllegalArgumentException("field " + name + " must be a list of integers, got " + n);
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : n) out.add(integerValue(e, name));
        return out;
    }

    public static List<String> strings(JsonNode root, String name, List<String> def) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return def;
        if (!n.isArray()) throw new IllegalArgumentException("field " + name + " must be a list of strings, got " + n);
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw new IllegalArgumentException("field " + name + " must be a list of strings, got " + n);
            out.add(e.textValue());
        }
        return out;
    }
}
