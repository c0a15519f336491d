package org.cd4j.pretrain;

/**
 * The last phase of the diffusion stage: it turns the model into one with a zero-terminal-SNR
 * schedule and v-prediction ("Common Diffusion Noise Schedules and Sample Steps are Flawed", Lin
 * et al. 2024, §3.1–3.2; diffusers {@code rescale_betas_zero_snr}, {@code v_prediction},
 * {@code timestep_spacing=trailing}).
 *
 * <p>Why: on Stable Diffusion's schedule 6.8 % of the picture's amplitude survives at the last
 * timestep. A model trained on it learns to read the low frequencies of its starting noise as the
 * picture's layout, and on the mini model's 16×16 latents that includes the background, so the
 * prompt's background word was followed in only a quarter of pictures (docs/QUALITY.md, eighth
 * session). With zero terminal SNR the first step sees pure noise and has to take the layout from
 * the caption, which needs a target that stays meaningful there: v, not the noise.
 *
 * <p>The phase continues the focus phase's weights and moments and its draws (pictures, captions
 * naming patterns, timesteps), starts the weight average afresh (the average of the earlier
 * phases predicts another quantity), and runs one cosine cycle.
 *
 * @param steps    steps of the phase (0: none, and the model keeps the epsilon objective)
 * @param lr       its peak learning rate; warm-up is {@link FocusConfig#WARMUP} steps, at most a tenth of the phase
 * @param midShare share of timesteps from the focus phase's middle range (the rest uniform over all)
 */
public record ZeroSnrConfig(int steps, double lr, double midShare) {
    public ZeroSnrConfig {
        if (steps < 0) throw new IllegalArgumentException("--zero-snr-steps must be >= 0, got " + steps);
        if (!(lr > 0)) throw new IllegalArgumentException("--zero-snr-learning-rate must be positive, got " + lr);
        if (!(midShare >= 0 && midShare <= 1)) throw new IllegalArgumentException("--zero-snr-mid-share must be in [0, 1], got " + midShare);
    }

    /** The phase's warm-up steps. */
    int warmup() {
        return Math.min(FocusConfig.WARMUP, steps / 10);
    }

    /** The phase of the shipped mini model. */
    public static ZeroSnrConfig defaults() {
        return new ZeroSnrConfig(4000, 2e-4, 0.25);
    }

    /** No such phase: the model keeps Stable Diffusion's schedule and the epsilon objective. */
    public static ZeroSnrConfig none() {
        return new ZeroSnrConfig(0, 2e-4, 0.25);
    }
}
