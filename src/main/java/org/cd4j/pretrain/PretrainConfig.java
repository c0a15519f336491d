package org.cd4j.pretrain;

import java.nio.file.Path;

/**
 * Settings of a {@code cd4j pretrain} run: the two stages that make the mini model from the
 * synthetic world (first the VAE alone, then UNet and text encoder together on the VAE's
 * latents). Written to {@code OUTPUT/pretrain/pretrain.json}; a resumed run must use the same.
 *
 * @param output         the model folder to create (diffusers layout)
 * @param seed           seeds the world, the initial weights and every draw of both stages
 * @param vaeSteps       VAE optimisation steps
 * @param vaeBatch       pictures per VAE step
 * @param vaeCrop        side of the random crops the VAE trains on for its first 7/8 of steps
 *                       (it is convolutional; crops cost a quarter of a full picture), then full pictures
 * @param vaeLr          VAE peak learning rate
 * @param datasetSize    pictures rendered and encoded once for the diffusion stage
 * @param steps          diffusion (UNet + text encoder) optimisation steps
 * @param batch          samples per diffusion step
 * @param lr             diffusion peak learning rate (linear warm-up, cosine decay to 0)
 * @param warmupSteps    warm-up steps of the diffusion stage (the VAE's: at most a tenth of its steps)
 * @param captionDropout share of empty captions, so classifier-free guidance has an unconditional model
 * @param emaDecay       decay of the exponential moving average of the weights that is shipped
 * @param maxGradNorm    gradient clipping threshold
 * @param checkpointEvery steps between checkpoints (both stages)
 * @param restartSteps   diffusion steps of each further cosine cycle at half the peak rate after the first
 *                       (a warm restart: continues the weights, moments and average of the step before)
 * @param restarts       how many such cycles follow the first; a finished run may be extended by more
 *                       (the result equals a run made with that many from the start)
 * @param focus          the pattern-focus phase that follows the cycles (continuing the same weights,
 *                       moments and average)
 * @param zeroSnr        the phase after it that turns the model to zero terminal SNR and v-prediction
 */
public record PretrainConfig(Path output, long seed, int vaeSteps, int vaeBatch, int vaeCrop, double vaeLr,
                             int datasetSize, int steps, int batch, double lr, int warmupSteps,
                             double captionDropout, double emaDecay, double maxGradNorm, int checkpointEvery,
                             int restartSteps, int restarts, FocusConfig focus,
                             ZeroSnrConfig zeroSnr) {
    public PretrainConfig {
        if (output == null) throw new IllegalArgumentException("--output is required");
        positive("--vae-steps", vaeSteps);
        positive("--vae-batch", vaeBatch);
        if (vaeCrop < 16 || vaeCrop % 8 != 0) throw new IllegalArgumentException("--vae-crop must be a multiple of 8, at least 16, got " + vaeCrop);
        positive("--dataset-size", datasetSize);
        positive("--steps", steps);
        positive("--batch-size", batch);
        if (!(vaeLr > 0) || !(lr > 0)) throw new IllegalArgumentException("learning rates must be positive");
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup-steps must be >= 0");
        if (!(captionDropout >= 0 && captionDropout < 1)) throw new IllegalArgumentException("--caption-dropout must be in [0, 1)");
        if (!(emaDecay >= 0 && emaDecay < 1)) throw new IllegalArgumentException("--ema-decay must be in [0, 1)");
        if (!(maxGradNorm > 0)) throw new IllegalArgumentException("--max-grad-norm must be positive");
        positive("--checkpointing-steps", checkpointEvery);
        if (restartSteps < 0) throw new IllegalArgumentException("--restart-steps must be >= 0, got " + restartSteps);
        if (restarts < 0) throw new IllegalArgumentException("--restarts must be >= 0, got " + restarts);
        if (focus == null) throw new IllegalArgumentException("the focus phase's settings are required");
        if (zeroSnr == null) throw new IllegalArgumentException("the zero-SNR phase's settings are required");
        if (zeroSnr.steps() > 0 && focus.steps() == 0) {
            throw new IllegalArgumentException("the zero-SNR phase continues the focus phase's draws; it needs --focus-steps > 0 "
                    + "(or --zero-snr-steps 0 for none)");
        }
    }

    /** Diffusion steps of the cosine cycles: the first cycle and the restarts. */
    public int cycleSteps() {
        return steps + restarts * restartSteps;
    }

    /** Diffusion steps up to the end of the focus phase. */
    public int focusEnd() {
        return cycleSteps() + focus.steps();
    }

    /** All diffusion steps: the cycles, the focus phase, then the zero-SNR phase. */
    public int totalSteps() {
        return focusEnd() + zeroSnr.steps();
    }

    /** The same settings with {@code n} restart cycles. */
    public PretrainConfig withRestarts(int n) {
        return new PretrainConfig(output, seed, vaeSteps, vaeBatch, vaeCrop, vaeLr, datasetSize, steps, batch, lr,
                warmupSteps, captionDropout, emaDecay, maxGradNorm, checkpointEvery, restartSteps, n, focus, zeroSnr);
    }

    private static void positive(String flag, int v) {
        if (v <= 0) throw new IllegalArgumentException(flag + " must be positive, got " + v);
    }

    /** The same settings with another focus phase. */
    public PretrainConfig withFocus(FocusConfig f) {
        return new PretrainConfig(output, seed, vaeSteps, vaeBatch, vaeCrop, vaeLr, datasetSize, steps, batch, lr,
                warmupSteps, captionDropout, emaDecay, maxGradNorm, checkpointEvery, restartSteps, restarts, f, zeroSnr);
    }

    /** The same settings with another zero-SNR phase. */
    public PretrainConfig withZeroSnr(ZeroSnrConfig z) {
        return new PretrainConfig(output, seed, vaeSteps, vaeBatch, vaeCrop, vaeLr, datasetSize, steps, batch, lr,
                warmupSteps, captionDropout, emaDecay, maxGradNorm, checkpointEvery, restartSteps, restarts, focus, z);
    }

    /** The settings the shipped mini model was made with (see docs/QUALITY.md). */
    public static PretrainConfig defaults(Path output) {
        return new PretrainConfig(output, 0, 1400, 32, 32, 1.5e-3, 6000, 3000, 32, 8e-4, 200, 0.1, 0.999, 1.0, 250, 2000, 3,
                FocusConfig.defaults(), ZeroSnrConfig.defaults());
    }
}
