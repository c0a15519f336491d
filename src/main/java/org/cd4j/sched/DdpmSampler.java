package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * Ancestral DDPM sampling ("Denoising Diffusion Probabilistic Models", Algorithm 2; diffusers
 * {@code DDPMScheduler}): the posterior mean {@code q(x_{t-1} | x_t, x0_pred)} (eq. 7) plus
 * Gaussian noise with the posterior variance, drawn (one {@code randn} of the model output's
 * shape) only while {@code t > 0}.
 *
 * <p>Config defaults are DDPMScheduler's: linear betas 1e-4…0.02, {@code clip_sample=true},
 * {@code variance_type=fixed_small}, {@code timestep_spacing=leading}, {@code steps_offset=0}.
 * As in diffusers 0.21.4 the previous timestep is always {@code t - N // n}, whatever the
 * spacing. {@code fixed_large_log} is treated as {@code fixed_large} (diffusers takes the square
 * root of a log there, which gives NaN); the {@code learned} variance types need a UNet with
 * twice the latent channels and are refused.
 */
public final class DdpmSampler extends AbstractSampler {
    private final String spacing;
    private final int stepsOffset;
    private final boolean clipSample;
    private final float clipRange;
    private final String varianceType;

    /** A DDPM sampler resolving {@code cfg} as {@code DDPMScheduler.from_config(cfg)}. */
    public DdpmSampler(SchedulerConfig cfg) {
        super("ddpm", NoiseSchedule.fromConfig(cfg), cfg);
        refuseThresholding(cfg, "ddpm");
        this.spacing = or(cfg.timestepSpacing(), "leading");
        this.stepsOffset = or(cfg.stepsOffset(), 0);
        this.clipSample = or(cfg.clipSample(), true);
        this.clipRange = (float) (double) or(cfg.clipSampleRange(), 1.0);
        this.varianceType = or(cfg.varianceType(), "fixed_small");
        if (varianceType.startsWith("learned")) {
            throw SchedulerConfig.bad("variance_type", "'" + varianceType + "' needs a model that predicts its variance "
                    + "(twice the latent channels); the ddpm sampler supports fixed_small, fixed_small_log, fixed_large");
        }
    }

    @Override
    public void setTimesteps(int steps) {
        checkSteps(steps);
        timesteps = Spacing.integerTimesteps(spacing, numTrain, steps, stepsOffset);
        numInferenceSteps = steps;
    }

    @Override
    public Tensor step(Tensor modelOutput, int stepIndex, Tensor latents, NoiseSource noise) {
        int t = intTimestep(stepIndex);
        int prevT = t - numTrain / numInferenceSteps;
        float aT = schedule.alphaCumprod(t);
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : 1f;
        float bT = 1f - aT;
        float bPrev = 1f - aPrev;
        float curAlpha = aT / aPrev;
        float curBeta = 1f - curAlpha;

        Tensor x0 = switch (prediction) {
            case EPSILON -> div(latents.sub(mul(modelOutput, sqrt(bT))), sqrt(aT));
            case SAMPLE -> modelOutput;
            case V_PREDICTION -> mul(latents, sqrt(aT)).sub(mul(modelOutput, sqrt(bT)));
        };
        if (clipSample) x0 = x0.clamp(scalarOpt(-clipRange), scalarOpt(clipRange));

        // Posterior mean coefficients (DDPM eq. 7).
        float cX0 = (sqrt(aPrev) * curBeta) / bT;
        float cXt = sqrt(curAlpha) * bPrev / bT;
        Tensor prev = mul(x0, cX0).add(mul(latents, cXt));

        if (t > 0) {
            Tensor z = drawNoise(noise, modelOutput);
            float variance = Math.max(bPrev / bT * curBeta, 1e-20f); // posterior variance beta~_t (eq. 7)
            float std = switch (varianceType) {
                case "fixed_small_log" -> exp(0.5f * log(variance));
                case "fixed_large", "fixed_large_log" -> sqrt(curBeta);
                default -> sqrt(variance);
            };
            prev = prev.add(mul(z, std));
        }
        return prev;
    }

    static org.bytedeco.pytorch.ScalarOptional scalarOpt(float v) {
        return new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar((double) v));
    }
}
