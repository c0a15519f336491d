package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;

/**
 * The model a sampler drives: given the scaled model input at a step, returns the raw model
 * output (noise, velocity or sample, as the scheduler config's {@code prediction_type} says),
 * with classifier-free guidance already applied if any.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * @param modelInput {@link Sampler#scaleModelInput} of the current latents
     * @param timestep   the training-scale timestep to condition on ({@link Sampler#timestep(int)}; may be fractional)
     * @param stepIndex  index of the step in the sampler's timesteps
     */
    Tensor predict(Tensor modelInput, double timestep, int stepIndex);
}
