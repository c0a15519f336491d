package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;

/**
 * Euler ancestral sampling (k-diffusion's {@code sample_euler_ancestral}; diffusers
 * {@code EulerAncestralDiscreteScheduler}): an Euler step down to
 * {@code sigma_down = sqrt(sigma_to² − sigma_up²)}, then fresh noise of standard deviation
 * {@code sigma_up = sqrt(sigma_to²·(sigma_from² − sigma_to²)/sigma_from²)} — one {@code randn}
 * of the model output's shape per step, so a noise source is required.
 *
 * <p>Config defaults are EulerAncestralDiscreteScheduler's: linear betas,
 * {@code timestep_spacing=linspace}. diffusers 0.21.4 has no Karras sigmas here, and refuses
 * {@code prediction_type=sample}, which this port supports (x0 is the model output).
 */
public final class EulerAncestralSampler extends SigmaSampler {
    /** An Euler-ancestral sampler resolving {@code cfg} as {@code EulerAncestralDiscreteScheduler.from_config(cfg)}. */
    public EulerAncestralSampler(SchedulerConfig cfg) {
        super("euler-a", cfg, false, "linear");
    }

    @Override
    public Tensor step(Tensor modelOutput, int stepIndex, Tensor latents, NoiseSource noise) {
        checkIndex(stepIndex);
        float sigma = sigmas[stepIndex];
        Tensor x0 = predictX0(modelOutput, latents, sigma);
        float from = sigma;
        float to = sigmas[stepIndex + 1];
        float up = sqrt(to * to * (from * from - to * to) / (from * from));
        float down = sqrt(to * to - up * up);
        Tensor derivative = div(latents.sub(x0), sigma);
        Tensor prev = latents.add(mul(derivative, down - sigma));
        return prev.add(mul(drawNoise(noise, modelOutput), up));
    }
}
