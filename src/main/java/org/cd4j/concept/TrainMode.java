package org.cd4j.concept;

import java.util.Locale;

/**
 * Which UNet weights a run trains ({@code --freeze-model}), besides the modifier tokens' rows,
 * which every mode trains. Custom Diffusion proper trains the key and value projections of every
 * cross-attention layer (the paper's setting) or all of cross-attention. Two more modes are the
 * paper's naive baselines, kept so Custom Diffusion can be measured against them:
 * {@link #NONE} fine-tunes every UNet weight (DreamBooth-like) and {@link #ALL} only the token
 * embeddings (textual-inversion-like).
 */
public enum TrainMode {
    /** {@code attn2.to_k.weight}, {@code attn2.to_v.weight}: the paper's Custom Diffusion (the default). */
    CROSSATTN_KV("crossattn_kv"),
    /** Also {@code attn2.to_q.weight} and {@code attn2.to_out.0.weight/bias}. */
    CROSSATTN("crossattn"),
    /**
     * Baseline: nothing in the UNet is frozen, every UNet parameter trains (conv kernels, norms,
     * biases …), as DreamBooth does. Its delta is the whole UNet (SD-1.5: ~3.4 GB in float32).
     */
    NONE("none"),
    /**
     * Baseline: the whole UNet is frozen and only the modifier tokens' embedding rows train, as
     * textual inversion does. Its delta holds no weight, only the token rows.
     */
    ALL("all");

    /** The flag value (and metadata value). */
    public final String id;

    TrainMode(String id) {
        this.id = id;
    }

    /** Parses {@code crossattn_kv}/{@code crossattn}/{@code none}/{@code all} (the CompVis spelling with '-' is accepted too). */
    public static TrainMode parse(String s) {
        String v = s.toLowerCase(Locale.ROOT).replace('-', '_');
        for (TrainMode m : values()) if (m.id.equals(v)) return m;
        throw new IllegalArgumentException("--freeze-model '" + s + "' is unknown (expected crossattn_kv, crossattn,"
                + " or the baselines none and all)");
    }

    /** Whether a UNet parameter (by state-dict name) is trained in this mode. */
    public boolean trains(String unetParam) {
        return switch (this) {
            case NONE -> true;
            case ALL -> false;
            case CROSSATTN_KV, CROSSATTN -> {
                if (!unetParam.contains(".attn2.")) yield false;
                if (unetParam.endsWith("attn2.to_k.weight") || unetParam.endsWith("attn2.to_v.weight")) yield true;
                yield this == CROSSATTN && (unetParam.endsWith("attn2.to_q.weight")
                        || unetParam.endsWith("attn2.to_out.0.weight") || unetParam.endsWith("attn2.to_out.0.bias"));
            }
        };
    }

    /** Whether this mode trains only cross-attention weights (Custom Diffusion proper, not a baseline). */
    public boolean isCrossAttention() {
        return this == CROSSATTN_KV || this == CROSSATTN;
    }
}
