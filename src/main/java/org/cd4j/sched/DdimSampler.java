package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * DDIM ("Denoising Diffusion Implicit Models", eq. 12; diffusers {@code DDIMScheduler}):
 * {@code x_{t-1} = sqrt(a_prev)·x0_pred + sqrt(1 − a_prev − σ²)·eps_pred + σ·z} with
 * {@code σ = eta·sqrt((1−a_prev)/(1−a_t)·(1 − a_t/a_prev))} (eq. 16). {@code eta = 0} is
 * deterministic; with {@code eta > 0} one {@code randn} of the model output's shape is drawn per
 * step.
 *
 * <p>Config defaults are DDIMScheduler's: linear betas, {@code clip_sample=true},
 * {@code set_alpha_to_one=true} (the "previous" alpha of the last step is 1, else
 * {@code alphas_cumprod[0]}), {@code steps_offset=0}, {@code timestep_spacing=leading},
 * {@code rescale_betas_zero_snr=false}. As in diffusers 0.21.4 the previous timestep is
 * {@code t - N // n} whatever the spacing.
 */
public final class DdimSampler extends AbstractSampler {
    private final double eta;
    private final String spacing;
    private final int stepsOffset;
    private final boolean clipSample;
    private final float clipRange;
    private final float finalAlphaCumprod;

    /** A DDIM sampler resolving {@code cfg} as {@code DDIMScheduler.from_config(cfg)}, with the given eta. */
    public DdimSampler(SchedulerConfig cfg, double eta) {
        super("ddim", NoiseSchedule.fromConfig(cfg), cfg);
        refuseThresholding(cfg, "ddim");
        if (!(eta >= 0 && eta <= 1)) throw new IllegalArgumentException("eta must lie in [0, 1], got " + eta);
        this.eta = eta;
        this.spacing = or(cfg.timestepSpacing(), "leading");
        this.stepsOffset = or(cfg.stepsOffset(), 0);
        this.clipSample = or(cfg.clipSample(), true);
        this.clipRange = (float) (double) or(cfg.clipSampleRange(), 1.0);
        this.finalAlphaCumprod = or(cfg.setAlphaToOne(), true) ? 1f : schedule.alphaCumprod(0);
    }

    /** The DDIM eta (0 = deterministic). */
    public double eta() {
        return eta;
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
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        float bT = 1f - aT;

        Tensor x0;
        Tensor eps;
        switch (prediction) {
            case EPSILON -> {
                x0 = div(latents.sub(mul(modelOutput, sqrt(bT))), sqrt(aT));
                eps = modelOutput;
            }
            case SAMPLE -> {
                x0 = modelOutput;
                eps = div(latents.sub(mul(x0, sqrt(aT))), sqrt(bT));
            }
            default -> { // v = sqrt(a)·eps − sqrt(1−a)·x0, x_t = sqrt(a)·x0 + sqrt(1−a)·eps
                x0 = mul(latents, sqrt(aT)).sub(mul(modelOutput, sqrt(bT)));
                eps = mul(modelOutput, sqrt(aT)).add(mul(latents, sqrt(bT)));
            }
        }
        if (clipSample) x0 = x0.clamp(DdpmSampler.scalarOpt(-clipRange), DdpmSampler.scalarOpt(clipRange));

        float bPrev = 1f - aPrev;
        float variance = (bPrev / bT) * (1f - aT / aPrev);
        float std = (float) eta * sqrt(variance);
        Tensor direction = mul(eps, sqrt(1f - aPrev - std * std));
        Tensor prev = mul(x0, sqrt(aPrev)).add(direction);
        if (eta > 0) {
            prev = prev.add(mul(drawNoise(noise, modelOutput), std));
        }
        return prev;
    }
}
