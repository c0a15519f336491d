package org.cd4j.unet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.cd4j.unet.UNetConfig.CROSS_ATTN_DOWN;
import static org.cd4j.unet.UNetConfig.CROSS_ATTN_UP;
import static org.cd4j.unet.UNetConfig.DOWN;
import static org.cd4j.unet.UNetConfig.MID_CROSS_ATTN;
import static org.cd4j.unet.UNetConfig.UP;

/**
 * Reads {@code unet/config.json} into a {@link UNetConfig}: diffusers 0.21.4 defaults for missing
 * fields, "int or per-block list" expansion, and the rules for fields the record does not hold.
 */
final class UNetConfigJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SD_ONLY = " is not supported (SD-1.x/2.x only)";

    private UNetConfigJson() {}

    private static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(message);
    }

    /** See {@link UNetConfig#fromJson(JsonNode, String)}. */
    static UNetConfig parse(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + ": expected a JSON object");
        Reader r = new Reader(root);
        try {
            String className = root.path("_class_name").asText(null);
            if (className != null && !className.equals("UNet2DConditionModel")) {
                throw bad("_class_name '" + className + "' is not a UNet2DConditionModel");
            }
            List<String> down = r.strings("down_block_types",
                    List.of(CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, DOWN));
            int n = down.size();
            UNetConfig config = new UNetConfig(
                    r.sampleSize(),
                    r.integer("in_channels", 4),
                    r.integer("out_channels", 4),
                    r.bool("center_input_sample", false),
                    r.bool("flip_sin_to_cos", true),
                    r.number("freq_shift", 0),
                    down,
                    r.nullableString("mid_block_type", MID_CROSS_ATTN),
                    r.strings("up_block_types", List.of(UP, CROSS_ATTN_UP, CROSS_ATTN_UP, CROSS_ATTN_UP)),
                    r.boolsPerBlock("only_cross_attention", false, n),
                    r.ints("block_out_channels", List.of(320, 640, 1280, 1280)),
                    r.intsPerBlock("layers_per_block", 2, n),
                    r.integer("downsample_padding", 1),
                    r.number("mid_block_scale_factor", 1),
                    r.number("dropout", 0),
                    r.string("act_fn", "silu"),
                    r.integer("norm_num_groups", 32),
                    r.number("norm_eps", 1e-5),
                    r.intsPerBlock("cross_attention_dim", 1280, n),
                    r.intsPerBlock("transformer_layers_per_block", 1, n),
                    r.intsPerBlock("attention_head_dim", 8, n),
                    r.isNull("num_attention_heads") ? null : r.intsPerBlock("num_attention_heads", 0, n),
                    r.bool("dual_cross_attention", false),
                    r.bool("use_linear_projection", false),
                    r.bool("upcast_attention", false),
                    r.string("resnet_time_scale_shift", "default"),
                    r.string("time_embedding_type", "positional"),
                    r.integer("conv_in_kernel", 3),
                    r.integer("conv_out_kernel", 3),
                    r.nullableString("class_embed_type", null),
                    r.nullableString("addition_embed_type", null),
                    r.isNull("encoder_hid_dim") ? null : r.integer("encoder_hid_dim", 0));
            r.checkRemaining();
            return config;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fields cd4j does not implement, with the diffusers default they must hold (JSON null when
     * the default is None). {@code reverse_transformer_layers_per_block} comes from newer
     * diffusers versions.
     */
    private static final Map<String, Object> MUST_BE_DEFAULT = mustBeDefault();

    private static Map<String, Object> mustBeDefault() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("encoder_hid_dim_type", null);
        m.put("num_class_embeds", null);
        m.put("time_embedding_dim", null);
        m.put("time_embedding_act_fn", null);
        m.put("timestep_post_act", null);
        m.put("time_cond_proj_dim", null);
        m.put("attention_type", "default");
        m.put("reverse_transformer_layers_per_block", null);
        return Collections.unmodifiableMap(m);
    }

    /**
     * Fields that only act through a feature refused elsewhere (class / addition embeddings) or
     * through block types cd4j refuses (the "simple" cross-attention and resnet-downsample
     * blocks), so any value leaves an SD-1.x/2.x UNet unchanged.
     */
    private static final Set<String> INERT = Set.of(
            "addition_embed_type_num_heads", "addition_time_embed_dim", "projection_class_embeddings_input_dim",
            "class_embeddings_concat", "mid_block_only_cross_attention", "cross_attention_norm",
            "resnet_skip_time_act", "resnet_out_scale_factor");

    /** Typed access to the JSON object that remembers which keys were read. */
    private static final class Reader {
        private final JsonNode root;
        private final Set<String> seen = new HashSet<>();

        Reader(JsonNode root) {
            this.root = root;
        }

        private JsonNode get(String key) {
            seen.add(key);
            return root.get(key);
        }

        boolean isNull(String key) {
            JsonNode v = get(key);
            return v == null || v.isNull();
        }

        int integer(String key, int dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            return asInt(key, v);
        }

        private static int asInt(String key, JsonNode v) {
            if (v.isIntegralNumber() && v.canConvertToInt()) return v.intValue();
            if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())) return (int) v.doubleValue();
            throw bad(key + " must be an integer, got " + v);
        }

        double number(String key, double dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isNumber()) throw bad(key + " must be a number, got " + v);
            return v.doubleValue();
        }

        boolean bool(String key, boolean dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (v.isNull()) return false; // diffusers tests truthiness: None acts as False
            if (!v.isBoolean()) throw bad(key + " must be true or false, got " + v);
            return v.booleanValue();
        }

        String string(String key, String dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isTextual()) throw bad(key + " must be a string, got " + v);
            return v.textValue();
        }

        /** A string that may be JSON null (returned as null); missing gives {@code dflt}. */
        String nullableString(String key, String dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (v.isNull()) return null;
            if (!v.isTextual()) throw bad(key + " must be a string or null, got " + v);
            return v.textValue();
        }

        List<String> strings(String key, List<String> dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isArray()) throw bad(key + " must be a list of strings, got " + v);
            List<String> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isTextual()) throw bad(key + " must be a list of strings, got " + v);
                out.add(e.textValue());
            }
            return out;
        }

        List<Integer> ints(String key, List<Integer> dflt) {
            JsonNode v = get(key);
            if (v == null) return dflt;
            if (!v.isArray()) throw bad(key + " must be a list of integers, got " + v);
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : v) out.add(asInt(key, e));
            return out;
        }

        /** diffusers' "int or one per block": an int is repeated for every block. */
        List<Integer> intsPerBlock(String key, int dflt, int n) {
            JsonNode v = get(key);
            if (v == null) return Collections.nCopies(n, dflt);
            if (v.isArray()) {
                List<Integer> out = new ArrayList<>();
                for (JsonNode e : v) {
                    if (e.isArray()) throw bad(key + ": nested lists are not supported, got " + v);
                    out.add(asInt(key, e));
                }
                return out;
            }
            return Collections.nCopies(n, asInt(key, v));
        }

        List<Boolean> boolsPerBlock(String key, boolean dflt, int n) {
            JsonNode v = get(key);
            if (v == null || v.isNull()) return Collections.nCopies(n, dflt);
            if (v.isBoolean()) return Collections.nCopies(n, v.booleanValue());
            if (!v.isArray()) throw bad(key + " must be true, false or a list of them, got " + v);
            List<Boolean> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isBoolean()) throw bad(key + " must be true, false or a list of them, got " + v);
                out.add(e.booleanValue());
            }
            return out;
        }

        /** {@code sample_size}: an int, null, or a square [h, w]. */
        Integer sampleSize() {
            JsonNode v = get("sample_size");
            if (v == null || v.isNull()) return null;
            if (v.isArray() && v.size() == 2 && v.get(0).equals(v.get(1))) return asInt("sample_size", v.get(0));
            return asInt("sample_size", v);
        }

        /** Applies the rules for every key not read as a record component. */
        void checkRemaining() {
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                JsonNode v = e.getValue();
                if (seen.contains(key) || key.startsWith("_") || INERT.contains(key) || key.equals("dropout")) continue;
                if (MUST_BE_DEFAULT.containsKey(key)) {
                    Object dflt = MUST_BE_DEFAULT.get(key);
                    JsonNode expected = dflt == null ? NullNode.getInstance() : MAPPER.valueToTree(dflt);
                    if (!v.equals(expected)) {
                        throw bad(key + " " + v + SD_ONLY + "; expected " + expected);
                    }
                    continue;
                }
                if (v.isNull() || (v.isBoolean() && !v.booleanValue())) continue;
                throw bad("unknown field '" + key + "' = " + v + " is not supported by cd4j's UNet2DConditionModel");
            }
        }
    }}
