package org.cd4j.sched;

import java.util.Locale;

/**
 * What the denoiser predicts ({@code prediction_type} in the scheduler config): the noise
 * {@code epsilon} (SD 1.x, SD 2 base), the velocity {@code v = sqrt(acp)·noise − sqrt(1−acp)·x0}
 * (SD 2 768-v, "Progressive Distillation" §2.4), or the clean {@code sample} itself.
 */
public enum PredictionType {
    EPSILON("epsilon"),
    V_PREDICTION("v_prediction"),
    SAMPLE("sample");

    /** The config / diffusers name. */
    public final String configName;

    PredictionType(String configName) {
        this.configName = configName;
    }

    /** Parses a config name ({@code original_sample} is diffusers' alias of {@code sample}). */
    public static PredictionType parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("original_sample")) return SAMPLE;
        for (PredictionType p : values()) if (p.configName.equals(n)) return p;
        throw new IllegalArgumentException("unknown prediction_type '" + name + "' (expected epsilon, v_prediction or sample)");
    }
}
