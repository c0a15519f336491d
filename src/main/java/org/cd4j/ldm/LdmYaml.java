package org.cd4j.ldm;

import com.fasterxml.jackson.databind.node.ArrayNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys of an original LDM inference config ({@code v1-inference.yaml},
 * {@code v2-inference-v.yaml}, or the {@code <model>.yaml} a model site ships beside a
 * checkpoint) that the weights cannot tell, read as a {@link ModelConfigs} override.
 *
 * <p>Those files are a fixed shape, so this reads them line by line rather than as general YAML:
 * each key below is taken at its first occurrence (LatentDiffusion's {@code image_size}, the
 * latent size, comes before the UNet's unused one). {@code parameterization} ("eps" / "v", eps when
 * a LatentDiffusion config leaves it out) → prediction type; {@code image_size} → UNet sample size; {@code linear_start},
 * {@code linear_end}, {@code timesteps} → the scaled-linear schedule (LDM's "linear" schedule is
 * linear in √β, diffusers' {@code scaled_linear}); {@code scale_factor} → the VAE's scaling
 * factor; {@code num_heads} or {@code num_head_channels} (with {@code model_channels} and
 * {@code channel_mult}) → heads per level; {@code use_linear_in_transformer} and
 * {@code context_dim}, which the weights decide as well and are checked against them.
 */
final class LdmYaml {
    private static final Pattern LINE = Pattern.compile("^\\s*([A-Za-z_]+)\\s*:\\s*(.*?)\\s*$");
    private static final List<String> KEYS = List.of("parameterization", "image_size", "linear_start", "linear_end",
            "timesteps", "scale_factor", "num_heads", "num_head_channels", "model_channels", "channel_mult",
            "use_linear_in_transformer", "context_dim", "beta_schedule");

    private LdmYaml() {}

    /** The override a YAML config gives; {@code source} names it in messages. */
    static ModelConfigs parse(String yaml, String source) {
        Map<String, String> v = new LinkedHashMap<>();
        for (String raw : yaml.split("\\R")) {
            Matcher m = LINE.matcher(stripComment(raw));
            if (m.matches() && KEYS.contains(m.group(1)) && !m.group(2).isEmpty()) v.putIfAbsent(m.group(1), unquote(m.group(2)));
        }
        ModelConfigs out = ModelConfigs.none();
        try {
            // A LatentDiffusion config that names no parameterization means LDM's default, eps
            // (v2-inference.yaml, SD-2's 512-px base config, is one): it states the prediction type too.
            String p = v.getOrDefault("parameterization", yaml.contains("LatentDiffusion") ? "eps" : null);
            if (p != null) {
                if (!p.equals("eps") && !p.equals("v")) throw bad("parameterization '" + p + "' (expected eps or v)");
                out.scheduler().put("prediction_type", p.equals("v") ? "v_prediction" : "epsilon");
            }
            if (v.containsKey("beta_schedule") && !v.get("beta_schedule").equals("linear")) {
                throw bad("beta_schedule '" + v.get("beta_schedule") + "' (SD uses LDM's 'linear', diffusers' scaled_linear)");
            }
            if (v.containsKey("image_size")) out.unet().put("sample_size", integer(v, "image_size"));
            if (v.containsKey("linear_start")) out.scheduler().put("beta_start", number(v, "linear_start"));
            if (v.containsKey("linear_end")) out.scheduler().put("beta_end", number(v, "linear_end"));
            if (v.containsKey("timesteps")) out.scheduler().put("num_train_timesteps", integer(v, "timesteps"));
            if (v.containsKey("scale_factor")) out.vae().put("scaling_factor", number(v, "scale_factor"));
            if (v.containsKey("use_linear_in_transformer")) {
                out.unet().put("use_linear_projection", Boolean.parseBoolean(v.get("use_linear_in_transformer")));
            }
            if (v.containsKey("context_dim")) out.unet().put("cross_attention_dim", integer(v, "context_dim"));
            heads(v, out);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** LDM gives either a head count or a head width (-1 marks the one not used). */
    private static void heads(Map<String, String> v, ModelConfigs out) {
        int width = v.containsKey("num_head_channels") ? integer(v, "num_head_channels") : -1;
        if (width > 0) {
            if (!v.containsKey("model_channels") || !v.containsKey("channel_mult")) {
                throw bad("num_head_channels needs model_channels and channel_mult to give heads per level");
            }
            int base = integer(v, "model_channels");
            ArrayNode heads = out.unet().putArray("attention_head_dim");
            for (int mult : ints(v.get("channel_mult"))) heads.add(base * mult / width);
        } else if (v.containsKey("num_heads") && integer(v, "num_heads") > 0) {
            out.unet().put("attention_head_dim", integer(v, "num_heads"));
        }
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? line : line.substring(0, hash);
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }

    private static int integer(Map<String, String> v, String key) {
        try {
            return Integer.parseInt(v.get(key));
        } catch (NumberFormatException e) {
            throw bad(key + " must be an integer, got '" + v.get(key) + "'");
        }
    }

    private static double number(Map<String, String> v, String key) {
        try {
            return Double.parseDouble(v.get(key));
        } catch (NumberFormatException e) {
            throw bad(key + " must be a number, got '" + v.get(key) + "'");
        }
    }

    /** {@code [ 1, 2, 4, 4 ]} → its integers. */
    private static List<Integer> ints(String list) {
        List<Integer> out = new ArrayList<>();
        String inner = list.replaceAll("^\\[|]$", "");
        for (String p : inner.split(",")) {
            try {
                out.add(Integer.parseInt(p.trim()));
            } catch (NumberFormatException e) {
                throw bad("channel_mult must be a list of integers, got '" + list + "'");
            }
        }
        return out;
    }

    private static IllegalArgumentException bad(String m) {
        return new IllegalArgumentException(m);
    }
}
