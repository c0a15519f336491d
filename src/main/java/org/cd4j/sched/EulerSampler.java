package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * Euler's method on the probability-flow ODE {@code dx/dsigma = (x − x0(x, sigma)) / sigma}
 * (Karras et al. 2022, Algorithm 2 without churn; diffusers {@code EulerDiscreteScheduler} with
 * its default {@code s_churn = 0}).
 *
 * <p>Config defaults are EulerDiscreteScheduler's: linear betas, {@code timestep_spacing=linspace}
 * (so timesteps are fractional, e.g. 749.25), {@code interpolation_type=linear},
 * {@code use_karras_sigmas=false} (Karras et al. eq. 5 noise levels with rho 7 when true; the
 * timesteps then come from inverting the sigma table and are float64).
 *
 * <p>diffusers draws (and, without churn, ignores) one {@code randn} of the model output's shape
 * per step; so does this port when given a noise source, to keep a shared generator in step.
 */
public final class EulerSampler extends SigmaSampler {
    /** An Euler sampler resolving {@code cfg} as {@code EulerDiscreteScheduler.from_config(cfg)}. */
    public EulerSampler(SchedulerConfig cfg) {
        super("euler", cfg, or(cfg.useKarrasSigmas(), false), or(cfg.interpolationType(), "linear"));
    }

    @Override
    public Tensor step(Tensor modelOutput, int stepIndex, Tensor latents, NoiseSource noise) {
        checkIndex(stepIndex);
        if (noise != null) drawNoise(noise, modelOutput); // the churn noise diffusers always draws
        float sigma = sigmas[stepIndex];
        float sigmaHat = sigma; // sigma * (gamma + 1) with gamma = 0
        Tensor x0 = predictX0(modelOutput, latents, sigma);
        Tensor derivative = div(latents.sub(x0), sigmaHat);
        float dt = sigmas[stepIndex + 1] - sigmaHat;
        return latents.add(mul(derivative, dt));
    }
}
