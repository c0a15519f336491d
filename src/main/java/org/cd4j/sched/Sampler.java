package org.cd4j.sched;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The one contract every sampler (noise scheduler) follows, k-diffusion style: the sampler owns
 * the discretisation (timesteps, sigmas, input scaling, update rule and any multistep history);
 * the caller owns the model. A generation is
 *
 * <pre>{@code
 * sampler.setTimesteps(steps);
 * Tensor latents = noise.mul(initNoiseSigma());
 * for (int i = 0; i < sampler.numSteps(); i++) {
 *     Tensor in = sampler.scaleModelInput(latents, i);
 *     Tensor out = unet(in, sampler.timestep(i));      // plus classifier-free guidance
 *     latents = sampler.step(out, i, latents, noiseSource);
 * }
 * }</pre>
 *
 * which is exactly diffusers' pipeline loop, and what {@link #sample} does. Each implementation
 * reproduces one diffusers 0.21.4 scheduler class on the CPU in float32, including where and in
 * which shapes it draws random numbers, so a seeded run gives diffusers' image.
 *
 * <p>Samplers are stateful (multistep history), single-threaded, and reusable after another
 * {@link #setTimesteps}. Steps must be taken in order from 0.
 */
public interface Sampler {
    /** The command-line name ({@code ddim}, {@code euler-a}, …). */
    String name();

    /** The training noise schedule (betas, alphas_cumprod) this sampler discretises. */
    NoiseSchedule schedule();

    /** What the model predicts, as this sampler interprets its output. */
    PredictionType predictionType();

    /**
     * Chooses the timesteps for {@code steps} inference steps and resets any history. The number
     * of model calls, {@link #numSteps()}, may differ (PNDM repeats one timestep; DPM-Solver with
     * Karras sigmas drops duplicates).
     */
    void setTimesteps(int steps);

    /** The inference steps requested by the last {@link #setTimesteps}. */
    int numInferenceSteps();

    /** Number of model calls, i.e. the length of {@link #timesteps()}. */
    int numSteps();

    /** The timesteps in diffusers' native dtype: int64, float32 (Euler), or float64 (Euler with Karras sigmas). */
    Tensor timesteps();

    /** Timestep {@code i} on the training scale (may be fractional, e.g. 749.25). */
    double timestep(int i);

    /** The sigma schedule ({@code scheduler.sigmas}), or null for samplers that have none. */
    default Tensor sigmas() {
        return null;
    }

    /** Standard deviation of the initial latents: multiply unit Gaussian noise by it. */
    double initNoiseSigma();

    /** The model input at step {@code i} (Euler divides by sqrt(sigma^2 + 1); others return {@code latents}). */
    Tensor scaleModelInput(Tensor latents, int stepIndex);

    /**
     * One update: the latents for the next step from the model output at step {@code i}.
     *
     * @param noise where per-step Gaussian noise comes from; may be null for samplers (or
     *              settings) that draw none, and is required otherwise
     */
    Tensor step(Tensor modelOutput, int stepIndex, Tensor latents, NoiseSource noise);

    /** diffusers' {@code scheduler.order} (model calls per progress-bar step); 1 for all of these. */
    default int order() {
        return 1;
    }

    /**
     * Runs the whole loop: {@code latents = initialNoise * initNoiseSigma()}, then for each
     * timestep scale, call {@code model}, step. Each step's intermediates are freed when the step
     * ends; the result belongs to the caller's innermost {@link PointerScope}, if any.
     * Call {@link #setTimesteps} first.
     */
    @SuppressWarnings("try") // the guard and the scope act by existing
    default Tensor sample(Tensor initialNoise, Denoiser model, NoiseSource noise) {
        Tensor latents;
        try (NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
            latents = Held.retain(initialNoise.mul(new Scalar(initNoiseSigma())));
        }
        for (int i = 0; i < numSteps(); i++) {
            Tensor next;
            try (NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
                Tensor in = scaleModelInput(latents, i);
                Tensor out = model.predict(in, timestep(i), i);
                next = Held.retain(step(out, i, latents, noise));
            }
            Held.release(latents);
            latents = next;
        }
        return Held.handOver(latents);
    }
}
