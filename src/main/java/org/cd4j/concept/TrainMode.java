package org.cd4j.concept;

import java.util.Locale;

/**
 * Which UNet weights Custom Diffusion trains ({@code --freeze-model}): the key and value
 * projections of every cross-attention layer (the paper's setting), or all of cross-attention.
 */
public enum TrainMode {
    /** {@code attn2.to_k.weight}, {@code attn2.to_v.weight}. */
    CROSSATTN_KV("crossattn_kv"),
    /** Also {@code attn2.to_q.weight} and {@code attn2.to_out.0.weight/bias}. */
    CROSSATTN("crossattn");

    /** The flag value (and metadata value). */
    public final String id;

    TrainMode(String id) {
        this.id = id;
    }

    /** Parses {@code crossattn_kv}/{@code crossattn} (the CompVis spelling with '-' is accepted too). */
    public static TrainMode parse(String s) {
        String v = s.toLowerCase(Locale.ROOT).replace('-', '_');
        for (TrainMode m : values()) if (m.id.equals(v)) return m;
        throw new IllegalArgumentException("--freeze-model '" + s + "' is unknown (expected crossattn_kv or crossattn)");
    }

    /** Whether a UNet parameter (by state-dict name) is trained in this mode. */
    public boolean trains(String unetParam) {
        if (!unetParam.contains(".attn2.")) return false;
        if (unetParam.endsWith("attn2.to_k.weight") || unetParam.endsWith("attn2.to_v.weight")) return true;
        return this == CROSSATTN && (unetParam.endsWith("attn2.to_q.weight")
                || unetParam.endsWith("attn2.to_out.0.weight") || unetParam.endsWith("attn2.to_out.0.bias"));
    }
}
