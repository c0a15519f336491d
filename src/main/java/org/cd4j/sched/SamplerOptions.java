package org.cd4j.sched;

/**
 * Command-line overrides of a model's scheduler config ({@code --eta}, {@code --karras},
 * {@code --timestep-spacing}, {@code --prediction-type}). Each component is nullable: {@code null}
 * keeps what the config (or the sampler's default) says. The config overrides act like keyword
 * arguments to diffusers' {@code from_config}; {@code eta} is DDIM's step argument.
 *
 * @param eta              DDIM's eta in [0, 1] (0 = deterministic); only the ddim sampler takes it
 * @param useKarrasSigmas  {@code use_karras_sigmas} (euler, dpm++2m)
 * @param timestepSpacing  {@code timestep_spacing}: leading, trailing or linspace
 * @param predictionType   {@code prediction_type}: epsilon, v_prediction or sample
 */
public record SamplerOptions(Double eta, Boolean useKarrasSigmas, String timestepSpacing, String predictionType) {
    public SamplerOptions {
        if (eta != null && !(eta >= 0 && eta <= 1)) throw new IllegalArgumentException("--eta must lie in [0, 1], got " + eta);
        if (timestepSpacing != null && !SchedulerConfig.SPACINGS.contains(timestepSpacing)) {
            throw new IllegalArgumentException("--timestep-spacing must be one of " + String.join(", ", SchedulerConfig.SPACINGS)
                    + ", got '" + timestepSpacing + "'");
        }
        if (predictionType != null) PredictionType.parse(predictionType);
    }

    /** No overrides. */
    public static SamplerOptions none() {
        return new SamplerOptions(null, null, null, null);
    }

    public SamplerOptions withEta(Double v) {
        return new SamplerOptions(v, useKarrasSigmas, timestepSpacing, predictionType);
    }

    public SamplerOptions withKarrasSigmas(Boolean v) {
        return new SamplerOptions(eta, v, timestepSpacing, predictionType);
    }

    public SamplerOptions withTimestepSpacing(String v) {
        return new SamplerOptions(eta, useKarrasSigmas, v, predictionType);
    }

    public SamplerOptions withPredictionType(String v) {
        return new SamplerOptions(eta, useKarrasSigmas, timestepSpacing, v);
    }

    /** The config with the config-level overrides applied (eta is not a config field). */
    public SchedulerConfig applyTo(SchedulerConfig cfg) {
        SchedulerConfig c = cfg;
        if (useKarrasSigmas != null) c = c.with("use_karras_sigmas", useKarrasSigmas);
        if (timestepSpacing != null) c = c.with("timestep_spacing", timestepSpacing);
        if (predictionType != null) c = c.with("prediction_type", predictionType);
        return c;
    }
}
