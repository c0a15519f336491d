package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Rng;

/**
 * Where a sampler gets its per-step Gaussian noise (DDPM's variance noise, DDIM's with eta > 0,
 * Euler ancestral's). Samplers ask for exactly the shapes, in exactly the order, that diffusers'
 * schedulers pass to {@code randn_tensor(model_output.shape, generator=...)}, so an
 * {@link #of(Rng) Rng-backed} source seeded like the Python generator reproduces diffusers'
 * images; tests inject stored noise instead.
 */
@FunctionalInterface
public interface NoiseSource {
    /** A float32 tensor of standard normal samples with the given shape. */
    Tensor next(long... shape);

    /** Draws from a seeded generator, as {@code torch.randn(shape, generator=g)} does. */
    static NoiseSource of(Rng rng) {
        return rng::randn;
    }
}
