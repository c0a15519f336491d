package org.cd4j.concept.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.io.FormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the reference trainers' {@code --concepts_list} JSON: a list of objects with the keys
 * {@code instance_prompt}, {@code class_prompt}, {@code instance_data_dir},
 * {@code class_data_dir}. Other keys (CustomConcept101's {@code prompt_filename}, …) are
 * ignored. {@code class_prompt} and {@code class_data_dir} may be absent or null, for training
 * without prior preservation; the dataset checks them when prior preservation is on.
 *
 * <p>Relative folders are resolved against the JSON file's folder, so a concepts file travels
 * with its data. The reference resolves them against the working folder instead; to accept its
 * files as they are, a relative folder that does not exist beside the JSON but does exist
 * relative to the working folder is taken from there.
 *
 * <p>Errors name the file, the entry (counted from 1) and the key.
 */
public final class ConceptsList {
    private ConceptsList() {}

    static final String EXPECTED = "expected the reference JSON: [{\"instance_prompt\", \"class_prompt\","
            + " \"instance_data_dir\", \"class_data_dir\"}]";

    /** The concepts in file order. */
    public static List<Concept> load(Path json) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(json));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(json.toString(), null, "concepts list not found");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
            throw new FormatException(json, "not valid JSON" + where + ": " + e.getOriginalMessage() + " (" + EXPECTED + ")", e);
        }
        if (root == null || !root.isArray()) {
            String found = root == null || root.isMissingNode() ? "an empty file" : describe(root);
            throw new FormatException(json, "the top level is " + found + ", not a list (" + EXPECTED + ")");
        }
        if (root.isEmpty()) throw new FormatException(json, "the list of concepts is empty (" + EXPECTED + ")");
        Path base = json.toAbsolutePath().getParent();
        List<Concept> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode e = root.get(i);
            String where = "entry " + (i + 1);
            if (!e.isObject()) {
                throw new FormatException(json, "entry " + (i + 1) + " is " + describe(e) + ", not an object (" + EXPECTED + ")");
            }
            String instancePrompt = text(json, where, e, "instance_prompt", true);
            String instanceDir = text(json, where, e, "instance_data_dir", true);
            String classPrompt = text(json, where, e, "class_prompt", false);
            String classDir = text(json, where, e, "class_data_dir", false);
            out.add(new Concept(instancePrompt, classPrompt, resolve(base, instanceDir),
                    classDir == null ? null : resolve(base, classDir)));
        }
        return out;
    }

    private static String text(Path json, String where, JsonNode entry, String key, boolean required) throws FormatException {
        JsonNode v = entry.get(key);
        if (v == null || v.isNull()) {
            if (!required) return null;
            throw new FormatException(json, where + ": '" + key + "' is missing (" + EXPECTED + ")");
        }
        if (!v.isTextual()) {
            throw new FormatException(json, where + ": '" + key + "' is " + describe(v) + ", expected a string (" + EXPECTED + ")");
        }
        if (required && v.asText().isBlank()) {
            throw new FormatException(json, where + ": '" + key + "' is empty (" + EXPECTED + ")");
        }
        return v.asText();
    }

    private static Path resolve(Path base, String dir) {
        Path p = Path.of(dir);
        if (p.isAbsolute()) return p.normalize();
        Path beside = base.resolve(p).normalize();
        if (!Files.exists(beside) && Files.exists(p)) return p.toAbsolutePath().normalize();
        return beside;
    }

    private static String describe(JsonNode n) {
        if (n.isObject()) return "an object";
        if (n.isArray()) return "a list";
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        if (n.isNull()) return "null";
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }
}
