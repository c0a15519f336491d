package org.cd4j.concept.delta;

import org.cd4j.concept.TrainMode;

import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The UNet parameters a Custom Diffusion delta may hold: the projections of cross-attention
 * modules ({@code attn2}) by their diffusers state-dict names, e.g.
 * {@code down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight}. Anything else
 * (self-attention, resnets, a whole UNet) is not a Custom Diffusion delta: the reference formats
 * and the cross-attention train modes refuse it; only a cd4j delta of the {@code none} baseline
 * ({@link TrainMode#NONE}, every UNet weight trained) holds it.
 */
public final class CrossAttnParams {
    /** The parameter suffixes inside one cross-attention module, in diffusers' processor order. */
    public static final List<String> SUFFIXES = List.of("to_k.weight", "to_v.weight", "to_q.weight",
            "to_out.0.weight", "to_out.0.bias");

    /** {@code <module>.attn2.<suffix>} where module is a down/mid/up block transformer. */
    private static final Pattern NAME = Pattern.compile(
            "((?:down_blocks|up_blocks)\\.\\d+\\.attentions\\.\\d+|mid_block\\.attentions\\.\\d+)"
                    + "\\.transformer_blocks\\.\\d+\\.attn2\\.(to_k\\.weight|to_v\\.weight|to_q\\.weight|to_out\\.0\\.weight|to_out\\.0\\.bias)");

    private CrossAttnParams() {}

    /** Whether {@code name} is a cross-attention parameter a delta may hold. */
    public static boolean isValid(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * Checks {@code name}.
     *
     * @param source where the name came from, for the message
     * @throws IllegalArgumentException naming the key and what was expected
     */
    public static void check(String name, String source) {
        if (!isValid(name)) {
            throw new IllegalArgumentException(source + ": '" + name + "' is not a cross-attention weight; a Custom"
                    + " Diffusion delta holds only <block>.attentions.<i>.transformer_blocks.<j>.attn2."
                    + "{to_k.weight, to_v.weight, to_q.weight, to_out.0.weight, to_out.0.bias}");
        }
    }

    /** {@link #check}s every name. */
    public static void checkAll(Collection<String> names, String source) {
        for (String n : names) check(n, source);
    }

    /** The attention module of a parameter: {@code ….attn2.to_k.weight} → {@code ….attn2}. */
    public static String module(String name) {
        int i = name.lastIndexOf(".attn2.");
        if (i < 0) throw new IllegalArgumentException("'" + name + "' is not a cross-attention parameter");
        return name.substring(0, i + ".attn2".length());
    }

    /** The part after the module: {@code to_k.weight}, {@code to_out.0.bias} … */
    public static String suffix(String name) {
        return name.substring(module(name).length() + 1);
    }

    /** Whether a parameter is a key or value projection (the ones {@code crossattn_kv} trains). */
    public static boolean isKeyOrValue(String name) {
        return name.endsWith(".attn2.to_k.weight") || name.endsWith(".attn2.to_v.weight");
    }

    /**
     * The training mode a set of parameters implies (reference files do not record the mode):
     * {@code none} (every UNet weight, the DreamBooth-like baseline) as soon as one is outside
     * cross-attention, else {@code crossattn} as soon as one query or output projection is
     * present, else {@code crossattn_kv}; {@code all} (token embeddings only) for no parameter.
     */
    public static TrainMode inferMode(Collection<String> names) {
        if (names.isEmpty()) return TrainMode.ALL;
        if (!names.stream().allMatch(CrossAttnParams::isValid)) return TrainMode.NONE;
        for (String n : names) if (!isKeyOrValue(n)) return TrainMode.CROSSATTN;
        return TrainMode.CROSSATTN_KV;
    }

    /**
     * diffusers' order of cross-attention parameters: modules as {@code attn_processors} lists
     * them (down blocks, up blocks, then the mid block, by index), and within a module the
     * processor's order k, v, q, out. Safetensors writers sort keys by name, which loses that
     * order; this restores it.
     */
    public static final Comparator<String> DIFFUSERS_ORDER = Comparator
            .comparingInt((String n) -> n.startsWith("down_blocks") ? 0 : n.startsWith("up_blocks") ? 1 : 2)
            .thenComparing(CrossAttnParams::indices, Arrays::compare)
            .thenComparingInt(n -> SUFFIXES.indexOf(isValid(n) ? suffix(n) : ""));

    /** The numbers in a name's module path, e.g. {@code up_blocks.1.attentions.2.transformer_blocks.0} → [1, 2, 0]. */
    private static int[] indices(String name) {
        String module = isValid(name) ? module(name) : name;
        return Arrays.stream(module.split("\\.")).filter(s -> s.chars().allMatch(Character::isDigit) && !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }
}
