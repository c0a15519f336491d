package org.cd4j.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import org.cd4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * JSON for the web app: one mapper, atomic state files, responses, and request bodies read with
 * checks whose messages name the field and the allowed range, so the page can show them next to
 * the field that is wrong.
 */
public final class Json {
    /** The mapper; thread-safe once configured. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Sends {@code value} as the JSON response. */
    public static void send(Context ctx, Object value) {
        try {
            ctx.contentType("application/json").result(MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** Sends {@code {"error": message}} with a status. */
    public static void error(Context ctx, int status, String message) {
        ObjectNode o = object();
        o.put("error", message == null || message.isBlank() ? "request failed" : message);
        ctx.status(status);
        send(ctx, o);
    }

    /** Writes a state file atomically (temporary name, then rename), so a crash never leaves half a file. */
    public static void write(Path file, JsonNode value) throws IOException {
        byte[] bytes = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        AtomicFiles.write(file, true, out -> out.write(bytes));
    }

    /** Reads a JSON file, or null when it does not exist. */
    public static JsonNode read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        return MAPPER.readTree(file.toFile());
    }

    /** The request body as a JSON object (400 when it is not one). */
    public static ObjectNode body(Context ctx) {
        String text = ctx.body();
        if (text == null || text.isBlank()) throw ApiException.bad("the request needs a JSON object body");
        JsonNode n;
        try {
            n = MAPPER.readTree(text);
        } catch (IOException e) {
            throw ApiException.bad("the request body is not valid JSON");
        }
        if (n == null || !n.isObject()) throw ApiException.bad("the request body must be a JSON object");
        return (ObjectNode) n;
    }

    /** A text field; {@code def} when absent or null; refused when longer than {@code max}. */
    public static String text(JsonNode o, String field, String def, int max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return def;
        if (!v.isTextual()) throw ApiException.bad(field + " must be text");
        String s = v.asText();
        if (s.length() > max) throw ApiException.bad(field + " is too long (at most " + max + " characters)");
        if (s.indexOf('\0') >= 0) throw ApiException.bad(field + " contains a NUL character");
        return s;
    }

    /** A text field that must be present and not blank. */
    public static String required(JsonNode o, String field, int max) {
        String s = text(o, field, null, max);
        if (s == null || s.isBlank()) throw ApiException.bad(field + " is required");
        return s.strip();
    }

    /** A whole number in {@code [min, max]}; {@code def} when absent. */
    public static int integer(JsonNode o, String field, int def, int min, int max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) return def;
        long x;
        if (v.isIntegralNumber()) x = v.asLong();
        else if (v.isTextual() && v.asText().strip().matches("-?\\d{1,18}")) x = Long.parseLong(v.asText().strip());
        else throw ApiException.bad(field + " must be a whole number between " + min + " and " + max);
        if (x < min || x > max) throw ApiException.bad(field + " must be between " + min + " and " + max + ", got " + x);
        return (int) x;
    }

    /** A number in {@code [min, max]}; {@code def} when absent. */
    public static double number(JsonNode o, String field, double def, double min, double max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) return def;
        double x;
        if (v.isNumber()) {
            x = v.asDouble();
        } else if (v.isTextual()) {
            try {
                x = Double.parseDouble(v.asText().strip());
            } catch (NumberFormatException e) {
                throw ApiException.bad(field + " must be a number between " + min + " and " + max);
            }
        } else {
            throw ApiException.bad(field + " must be a number between " + min + " and " + max);
        }
        if (!Double.isFinite(x) || x < min || x > max) {
            throw ApiException.bad(field + " must be between " + min + " and " + max + ", got " + v.asText());
        }
        return x;
    }

    /** A true/false field; {@code def} when absent. */
    public static boolean bool(JsonNode o, String field, boolean def) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return def;
        if (!v.isBoolean()) throw ApiException.bad(field + " must be true or false");
        return v.asBoolean();
    }
}
