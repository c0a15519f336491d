package org.cd4j.ldm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The configuration of a Stable Diffusion model as the JSON of its diffusers folder: one object
 * per {@code unet/config.json}, {@code vae/config.json}, {@code text_encoder/config.json} and
 * {@code scheduler/scheduler_config.json}. A full set is what a folder gets; a partial set is an
 * override whose fields replace the inferred ones ({@link #overriddenBy}).
 *
 * <p>The model-config file ({@code --model-config}, and the {@code cd4j.model_config} metadata
 * cd4j writes into single files) is one JSON object:
 * <pre>{@code
 * {
 *   "prediction_type": "v_prediction",      // shortcut for scheduler.prediction_type
 *   "upcast_attention": true,               // shortcut for unet.upcast_attention
 *   "unet": {"sample_size": 96},            // any unet/config.json field
 *   "vae": {}, "text_encoder": {}, "scheduler": {}
 * }
 * }</pre>
 * Every key is optional; any other top-level key is refused.
 */
public record ModelConfigs(ObjectNode unet, ObjectNode vae, ObjectNode textEncoder, ObjectNode scheduler) {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SECTIONS = List.of("unet", "vae", "text_encoder", "scheduler");
    private static final List<String> PREDICTION_TYPES = List.of("epsilon", "v_prediction", "sample");

    /** An override that changes nothing. */
    public static ModelConfigs none() {
        return new ModelConfigs(JSON.createObjectNode(), JSON.createObjectNode(), JSON.createObjectNode(), JSON.createObjectNode());
    }

    /**
     * Reads a model-config file: the JSON of the class comment, or (named {@code *.yaml} /
     * {@code *.yml}) an original LDM inference config ({@link LdmYaml}).
     */
    public static ModelConfigs read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "model config file not found");
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        String text = Files.readString(file);
        return name.endsWith(".yaml") || name.endsWith(".yml") ? LdmYaml.parse(text, file.toString()) : parse(text, file.toString());
    }

    /**
     * Parses model-config JSON; {@code source} names it in messages.
     *
     * @throws IllegalArgumentException naming {@code source} and the offending key
     */
    public static ModelConfigs parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + " must hold a JSON object");
        ModelConfigs out = none();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            switch (key) {
                case "prediction_type" -> {
                    if (!v.isTextual() || !PREDICTION_TYPES.contains(v.textValue())) {
                        throw new IllegalArgumentException(source + ": prediction_type must be one of " + PREDICTION_TYPES + ", got " + v);
                    }
                    out.scheduler.set("prediction_type", v);
                }
                case "upcast_attention" -> {
                    if (!v.isBoolean()) throw new IllegalArgumentException(source + ": upcast_attention must be true or false, got " + v);
                    out.unet.set("upcast_attention", v);
                }
                default -> {
                    if (!SECTIONS.contains(key)) {
                        throw new IllegalArgumentException(source + ": unknown key '" + key + "' (expected prediction_type, "
                                + "upcast_attention, " + String.join(", ", SECTIONS) + ")");
                    }
                    if (!v.isObject()) throw new IllegalArgumentException(source + ": '" + key + "' must be a JSON object, got " + v);
                    out.section(key).setAll((ObjectNode) v);
                }
            }
        }
        return out;
    }

    /** This set with every field {@code o} gives replaced (copies; neither input changes). */
    public ModelConfigs overriddenBy(ModelConfigs o) {
        ModelConfigs out = new ModelConfigs(unet.deepCopy(), vae.deepCopy(), textEncoder.deepCopy(), scheduler.deepCopy());
        for (String s : SECTIONS) out.section(s).setAll(o.section(s).deepCopy());
        return out;
    }

    /** Whether no section sets anything. */
    public boolean isEmpty() {
        return unet.isEmpty() && vae.isEmpty() && textEncoder.isEmpty() && scheduler.isEmpty();
    }

    /** Whether {@code section} ("unet", "vae", "text_encoder", "scheduler") sets {@code field}. */
    public boolean sets(String section, String field) {
        return section(section).has(field);
    }

    /** The whole set as one model-config object (what {@link #parse} reads back). */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        for (String s : SECTIONS) root.set(s, section(s));
        return root.toString();
    }

    ObjectNode section(String name) {
        return switch (name) {
            case "unet" -> unet;
            case "vae" -> vae;
            case "text_encoder" -> textEncoder;
            case "scheduler" -> scheduler;
            default -> throw new IllegalArgumentException("no config section " + name);
        };
    }
}
