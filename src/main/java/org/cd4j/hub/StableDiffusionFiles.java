package org.cd4j.hub;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The files of a diffusers Stable Diffusion repository that cd4j needs, and no others: a model
 * repository also holds single-file checkpoints, safety checkers, ONNX and Flax exports and
 * several precisions of every weight, many gigabytes nobody asked for.
 *
 * <p>Chosen: {@code model_index.json}; for {@code unet}, {@code vae} and {@code text_encoder}
 * their {@code config.json} and one weights file — with a variant ({@code fp16}) its file
 * ({@code diffusion_pytorch_model.fp16.safetensors}, {@code model.fp16.safetensors}), else the
 * plain one, {@code .safetensors} before {@code .bin}, as diffusers prefers; the tokenizer's
 * {@code vocab.json} and {@code merges.txt} with its small configs; and
 * {@code scheduler/scheduler_config.json}. Small files come first, so that a wrong repository is
 * noticed before its weights are downloaded.
 */
public final class StableDiffusionFiles {
    /** The pipeline parts cd4j loads. */
    public static final List<String> PARTS = List.of("unet", "vae", "text_encoder", "tokenizer", "scheduler");
    /** The order weights are fetched in: smallest first. */
    private static final List<String> WEIGHTED = List.of("text_encoder", "vae", "unet");
    private static final List<String> TOKENIZER_OPTIONAL = List.of("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json");
    private static final Pattern VARIANT = Pattern.compile("[A-Za-z0-9_-]+");

    private StableDiffusionFiles() {}

    /** Checks a {@code --variant} value: a word such as {@code fp16}, as it appears in file names. */
    public static String checkVariant(String variant) {
        if (variant != null && !VARIANT.matcher(variant).matches()) {
            throw new IllegalArgumentException("--variant must be a word such as fp16 (it is part of the weight file names), got '" + variant + "'");
        }
        return variant;
    }

    /**
     * The paths to download, in order.
     *
     * @param files   every path of the repository
     * @param variant the weights variant ({@code fp16}), or null for the plain weights
     * @param parts   the parts wanted (a subset of {@link #PARTS}; {@code tokenizer} alone for tokenizing)
     * @throws IllegalArgumentException naming the first part the repository cannot provide
     */
    public static List<String> select(List<String> files, String variant, Set<String> parts) {
        checkVariant(variant);
        Set<String> have = new TreeSet<>(files);
        List<String> small = new ArrayList<>();
        List<String> weights = new ArrayList<>();
        require(have, small, "model_index.json", "the pipeline index");
        for (String p : PARTS) {
            if (!parts.contains(p)) continue;
            switch (p) {
                case "tokenizer" -> {
                    require(have, small, "tokenizer/vocab.json", "the tokenizer vocabulary");
                    require(have, small, "tokenizer/merges.txt", "the tokenizer merges");
                    for (String f : TOKENIZER_OPTIONAL) if (have.contains("tokenizer/" + f)) small.add("tokenizer/" + f);
                }
                case "scheduler" -> require(have, small, "scheduler/scheduler_config.json", "the scheduler configuration");
                default -> require(have, small, p + "/config.json", "the " + p + " configuration");
            }
        }
        for (String p : WEIGHTED) if (parts.contains(p)) weights.add(weights(have, p, variant));
        List<String> out = new ArrayList<>(new LinkedHashSet<>(small));
        out.addAll(weights);
        return out;
    }

    /**
     * Whether every weights file of {@code selection} is of {@code variant} (always true without
     * one): false when {@link #select} fell back to a part's plain weights.
     */
    public static boolean allOfVariant(List<String> selection, String variant) {
        if (variant == null) return true;
        for (String f : selection) {
            String name = f.substring(f.lastIndexOf('/') + 1);
            boolean weights = name.endsWith(".safetensors") || name.endsWith(".bin");
            if (weights && !name.contains("." + variant + ".")) return false;
        }
        return true;
    }

    private static void require(Set<String> have, List<String> out, String path, String what) {
        if (!have.contains(path)) throw new IllegalArgumentException("it has no " + path + " (" + what + ")");
        out.add(path);
    }

    /** The one weights file of a part: the variant's if it has one, else the plain one; safetensors first. */
    private static String weights(Set<String> have, String part, String variant) {
        List<String> stems = part.equals("text_encoder") ? List.of("model", "pytorch_model") : List.of("diffusion_pytorch_model");
        List<String> tried = new ArrayList<>();
        List<String> suffixes = new ArrayList<>();
        if (variant != null) suffixes.addAll(List.of("." + variant + ".safetensors", "." + variant + ".bin"));
        suffixes.addAll(List.of(".safetensors", ".bin"));
        for (String suffix : suffixes) {
            for (String stem : stems) {
                String f = part + "/" + stem + suffix;
                if (have.contains(f)) return f;
                tried.add(f);
            }
        }
        // Say why: only other variants, or sharded weights, or nothing at all.
        Set<String> variants = new TreeSet<>();
        boolean sharded = false;
        for (String f : have) {
            if (!f.startsWith(part + "/")) continue;
            String name = f.substring(part.length() + 1);
            for (String stem : stems) {
                if (name.startsWith(stem + ".") && name.contains(".index")) sharded = true;
                for (String ext : List.of(".safetensors", ".bin")) {
                    if (name.startsWith(stem + ".") && name.endsWith(ext)) {
                        String v = name.substring(stem.length() + 1, name.length() - ext.length());
                        if (VARIANT.matcher(v).matches() && !v.contains("-of-")) variants.add(v); // not a shard
                    }
                }
            }
        }
        String hint = !variants.isEmpty() ? "; it has the variant(s) " + String.join(", ", variants) + ": pass --variant "
                + variants.iterator().next()
                : sharded ? "; its weights are split into shards, which cd4j does not read" : "";
        throw new IllegalArgumentException("it has no " + part + " weights (looked for " + String.join(", ", tried) + ")" + hint);
    }
}
