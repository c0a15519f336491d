package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.List;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * Pseudo numerical methods ("Pseudo Numerical Methods for Diffusion Models on Manifolds", PNDM;
 * diffusers {@code PNDMScheduler}): a linear multistep (Adams–Bashforth, "PLMS") update of the
 * noise prediction, pushed through the DDIM-like transfer {@code φ} (eq. 11). Stable Diffusion's
 * default sampler.
 *
 * <p>With {@code skip_prk_steps=true} (SD's setting) the warm-up is one Heun-like double
 * evaluation, so {@code n} inference steps make {@code n + 1} model calls and the
 * second-to-last training timestep repeats: 5 steps give {@code [801, 601, 601, 401, 201, 1]}.
 * With {@code skip_prk_steps=false} (PNDMScheduler's own default) the first three steps are
 * fourth-order Runge–Kutta (12 calls), then PLMS; that needs at least 4 steps.
 *
 * <p>Config defaults are PNDMScheduler's: linear betas, {@code skip_prk_steps=false},
 * {@code set_alpha_to_one=false}, {@code steps_offset=0}, {@code timestep_spacing=leading}.
 *
 * <p>With {@code v_prediction}, as in diffusers, the multistep combination is taken of the raw
 * v outputs and converted to noise at the current step (not each v at its own step), so PNDM's
 * v-prediction trajectory differs slightly from its epsilon one for the same model; parity with
 * diffusers wins here. {@code prediction_type=sample} is refused, as diffusers does.
 */
public final class PndmSampler extends AbstractSampler {
    private final boolean skipPrk;
    private final String spacing;
    private final int stepsOffset;
    private final float finalAlphaCumprod;

    private int prkCount;
    private int counter;
    private final List<Tensor> ets = new ArrayList<>(); // retained past noise predictions
    private Tensor curSample;                            // retained
    private Tensor curModelOutput;                       // retained RK accumulator, null = 0

    /** A PNDM sampler resolving {@code cfg} as {@code PNDMScheduler.from_config(cfg)}. */
    public PndmSampler(SchedulerConfig cfg) {
        super("pndm", NoiseSchedule.fromConfig(cfg, false), cfg);
        if (or(cfg.rescaleBetasZeroSnr(), false)) {
            // PNDM divides by sqrt(alphas_cumprod), which is 0 at the last step of such a schedule;
            // diffusers' PNDMScheduler silently ignores the flag and so samples the wrong schedule.
            throw SchedulerConfig.bad("rescale_betas_zero_snr", "is true, which the pndm sampler cannot follow (nor does "
                    + "diffusers' PNDMScheduler); use ddim, dpm++2m, euler or euler-a");
        }
        if (prediction == PredictionType.SAMPLE) {
            throw SchedulerConfig.bad("prediction_type", "'sample' is not supported by the pndm sampler (nor by diffusers' "
                    + "PNDMScheduler); use ddim, euler or dpm++2m");
        }
        this.skipPrk = or(cfg.skipPrkSteps(), false);
        this.spacing = or(cfg.timestepSpacing(), "leading");
        this.stepsOffset = or(cfg.stepsOffset(), 0);
        this.finalAlphaCumprod = or(cfg.setAlphaToOne(), false) ? 1f : schedule.alphaCumprod(0);
    }

    @Override
    public void setTimesteps(int steps) {
        checkSteps(steps);
        if (!skipPrk && steps < 4) {
            throw new IllegalArgumentException("pndm with skip_prk_steps=false needs at least 4 inference steps, got " + steps
                    + " (SD configs set skip_prk_steps=true)");
        }
        double[] base = baseTimesteps(steps); // ascending
        int n = base.length;
        double[] ts;
        if (skipPrk) {
            // [t_0 … t_{n-2}, t_{n-2}, t_{n-1}] reversed: the warm-up evaluates t_{n-2} twice.
            ts = new double[n + (n >= 2 ? 1 : 0)];
            int k = 0;
            for (int i = 0; i < n - 1; i++) ts[k++] = base[i];
            if (n >= 2) ts[k++] = base[n - 2];
            ts[k] = base[n - 1];
            Np.reverse(ts);
            prkCount = 0;
        } else {
            // Runge–Kutta points: the last 4 timesteps and their midpoints, each used twice.
            int half = numTrain / steps / 2;
            double[] prk = new double[8];
            for (int i = 0; i < 4; i++) {
                prk[2 * i] = base[n - 4 + i];
                prk[2 * i + 1] = base[n - 4 + i] + half;
            }
            double[] rep = new double[14]; // prk[:-1].repeat(2)
            for (int i = 0; i < 7; i++) rep[2 * i] = rep[2 * i + 1] = prk[i];
            double[] prkTs = new double[12]; // [1:-1], reversed
            for (int i = 0; i < 12; i++) prkTs[i] = rep[12 - i];
            ts = new double[12 + n - 3];
            System.arraycopy(prkTs, 0, ts, 0, 12);
            for (int i = 0; i < n - 3; i++) ts[12 + i] = base[n - 4 - i];
            prkCount = 12;
        }
        timesteps = ts;
        numInferenceSteps = steps;
        reset();
    }

    /** PNDM's {@code _timesteps}: ascending integer grid for the spacing. */
    private double[] baseTimesteps(int n) {
        return Np.reverse(Spacing.integerTimesteps(spacing, numTrain, n, stepsOffset));
    }

    private void reset() {
        for (Tensor e : ets) Held.release(e);
        ets.clear();
        Held.release(curSample);
        curSample = null;
        Held.release(curModelOutput);
        curModelOutput = null;
        counter = 0;
    }

    @Override
    public Tensor step(Tensor modelOutput, int stepIndex, Tensor latents, NoiseSource noise) {
        checkIndex(stepIndex);
        if (stepIndex != counter) {
            throw new IllegalStateException("pndm is a multistep method: expected step " + counter + ", got " + stepIndex
                    + " (call setTimesteps to start again)");
        }
        int t = intTimestep(stepIndex);
        Tensor out = counter < prkCount ? stepPrk(modelOutput, t, latents) : stepPlms(modelOutput, t, latents);
        counter++;
        return out;
    }

    /** Fourth-order Runge–Kutta on the PNDM transfer (paper Algorithm 1, "prk" steps). */
    private Tensor stepPrk(Tensor mo, int t, Tensor sample) {
        int diffToPrev = counter % 2 == 1 ? 0 : numTrain / numInferenceSteps / 2;
        int prevT = t - diffToPrev;
        int from = (int) timesteps[counter / 4 * 4];
        Tensor eps = mo;
        switch (counter % 4) {
            case 0 -> {
                accumulate(mul(mo, (float) (1.0 / 6)));
                ets.add(Held.retain(mo.detach()));
                Held.release(curSample);
                curSample = Held.retain(sample.detach());
            }
            case 1, 2 -> accumulate(mul(mo, (float) (1.0 / 3)));
            default -> {
                eps = curModelOutput.add(mul(mo, (float) (1.0 / 6)));
                Held.release(curModelOutput);
                curModelOutput = null;
            }
        }
        return prevSample(curSample != null ? curSample : sample, from, prevT, eps);
    }

    private void accumulate(Tensor term) {
        Tensor next = curModelOutput == null ? term : curModelOutput.add(term);
        Held.release(curModelOutput);
        curModelOutput = Held.retain(next.detach());
    }

    /** Pseudo linear multistep: Adams–Bashforth of orders 1 … 4 on the noise predictions. */
    private Tensor stepPlms(Tensor mo, int t, Tensor sample) {
        int prevT = t - numTrain / numInferenceSteps;
        if (counter != 1) {
            while (ets.size() > 3) Held.release(ets.remove(0));
            ets.add(Held.retain(mo.detach()));
        } else {
            // The repeated timestep: redo the first step from the same sample with averaged predictions.
            prevT = t;
            t = t + numTrain / numInferenceSteps;
        }
        Tensor eps;
        int n = ets.size();
        if (n == 1 && counter == 0) {
            eps = mo;
            Held.release(curSample);
            curSample = Held.retain(sample.detach());
        } else if (n == 1 && counter == 1) {
            eps = div(mo.add(ets.get(0)), 2f);
            sample = curSample;
        } else if (n == 2) {
            eps = div(mul(ets.get(1), 3f).sub(ets.get(0)), 2f);
        } else if (n == 3) {
            eps = div(mul(ets.get(2), 23f).sub(mul(ets.get(1), 16f)).add(mul(ets.get(0), 5f)), 12f);
        } else {
            eps = mul(mul(ets.get(3), 55f).sub(mul(ets.get(2), 59f)).add(mul(ets.get(1), 37f)).sub(mul(ets.get(0), 9f)),
                    (float) (1.0 / 24));
        }
        Tensor prev = prevSample(sample, t, prevT, eps);
        if (n == 1 && counter == 1) {
            Held.release(curSample); // diffusers sets cur_sample = None here
            curSample = null;
        }
        return prev;
    }

    /** The PNDM transfer φ(x_t, eps, t → prev) (paper eq. 11, diffusers {@code _get_prev_sample}). */
    private Tensor prevSample(Tensor sample, int t, int prevT, Tensor mo) {
        float aT = schedule.alphaCumprod(t);
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        float bT = 1f - aT;
        float bPrev = 1f - aPrev;
        if (prediction == PredictionType.V_PREDICTION) {
            mo = mul(mo, sqrt(aT)).add(mul(sample, sqrt(bT))); // eps = sqrt(a)·v + sqrt(1−a)·x_t
        }
        float sampleCoeff = sqrt(aPrev / aT);
        float denom = aT * sqrt(bPrev) + sqrt(aT * bT * aPrev);
        return mul(sample, sampleCoeff).sub(div(mul(mo, aPrev - aT), denom));
    }
}
