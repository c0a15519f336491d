package org.cd4j.pipeline;

import org.bytedeco.pytorch.Tensor;

/**
 * Everything that decides a text-to-image generation. Defaults follow diffusers'
 * {@code StableDiffusionPipeline}: 50 steps, guidance 7.5, the model's own scheduler, eta 0.
 *
 * @param negativePrompt  null or "" for the unconditional (empty) prompt
 * @param scheduler       a sampler name (ddpm, ddim, pndm, euler, euler-a, dpm++2m) or null for the model's
 * @param height          pixels, a multiple of 8 (0: the UNet's sample_size × 8)
 * @param initialLatents  optional (N, 4, h, w) latents, scaled by the sampler's init_noise_sigma as diffusers does
 */
public record GenerationRequest(String prompt, String negativePrompt, long seed, int steps, double guidance,
                                String scheduler, double eta, int height, int width, int numImages,
                                boolean karrasSigmas, Tensor initialLatents) {
    public GenerationRequest {
        if (prompt == null) throw new IllegalArgumentException("prompt is required");
        if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        if (numImages < 1) throw new IllegalArgumentException("number of images must be at least 1, got " + numImages);
        if (height < 0 || width < 0 || height % 8 != 0 || width % 8 != 0) {
            throw new IllegalArgumentException("height and width must be positive multiples of 8, got " + height + "x" + width);
        }
        if (eta < 0 || eta > 1) throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
    }

    /** A request with diffusers' defaults for everything but the prompt and seed. */
    public static GenerationRequest of(String prompt, long seed) {
        return new GenerationRequest(prompt, null, seed, 50, 7.5, null, 0.0, 0, 0, 1, false, null);
    }

    /** Whether classifier-free guidance runs (diffusers: guidance_scale > 1). */
    public boolean guided() {
        return guidance > 1.0;
    }
}
