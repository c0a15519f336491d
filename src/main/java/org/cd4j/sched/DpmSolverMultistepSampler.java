package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * Multistep DPM-Solver ("DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
 * Models", Lu et al. 2022; diffusers {@code DPMSolverMultistepScheduler}). With the defaults
 * ({@code algorithm_type=dpmsolver++}, {@code solver_order=2}, {@code solver_type=midpoint},
 * {@code lower_order_final=true}) it is "DPM++ 2M": exponential-integrator updates in
 * {@code lambda = log(alpha/sigma)} on the data prediction, second order from the previous
 * step's prediction, first order at the first step and (for fewer than 15 steps) the last.
 *
 * <p>Also supports {@code algorithm_type=dpmsolver} (noise prediction), {@code solver_type=heun},
 * orders 1–3, {@code use_karras_sigmas}, {@code lambda_min_clipped} and the three spacings
 * (default {@code linspace}). The stochastic {@code sde-*} variants, dynamic thresholding and
 * learned variances are refused. As in diffusers, {@code deis} is read as {@code dpmsolver++}
 * and {@code logrho/bh1/bh2} as {@code midpoint}. Deterministic: it draws no noise.
 */
public final class DpmSolverMultistepSampler extends AbstractSampler {
    private final int solverOrder;
    private final boolean dataPrediction; // dpmsolver++ (x0) vs dpmsolver (eps)
    private final boolean midpoint;
    private final boolean lowerOrderFinal;
    private final boolean karras;
    private final double lambdaMinClipped;
    private final String spacing;
    private final int stepsOffset;
    /** alpha_t, sigma_t, lambda_t per training timestep (float32, as diffusers' tensors). */
    private final float[] alphaT, sigmaT, lambdaT;

    private float[] sigmas;
    private final List<Tensor> modelOutputs = new ArrayList<>(); // retained, newest last
    private int lowerOrderNums;
    private int counter;

    /** A DPM-Solver sampler resolving {@code cfg} as {@code DPMSolverMultistepScheduler.from_config(cfg)}. */
    public DpmSolverMultistepSampler(SchedulerConfig cfg) {
        super("dpm++2m", NoiseSchedule.forSigmaSampling(cfg), cfg);
        refuseThresholding(cfg, "dpm++2m");
        String algorithm = or(cfg.algorithmType(), "dpmsolver++");
        if (algorithm.equals("deis")) algorithm = "dpmsolver++";
        if (algorithm.startsWith("sde-")) {
            throw SchedulerConfig.bad("algorithm_type", "'" + algorithm + "' (stochastic DPM-Solver) is not supported; "
                    + "use dpmsolver++ or dpmsolver");
        }
        String solver = or(cfg.solverType(), "midpoint");
        String variance = cfg.varianceType();
        if (variance != null && variance.startsWith("learned")) {
            throw SchedulerConfig.bad("variance_type", "'" + variance + "' (learned variance) is not supported by dpm++2m");
        }
        this.solverOrder = or(cfg.solverOrder(), 2);
        this.dataPrediction = algorithm.equals("dpmsolver++");
        this.midpoint = !solver.equals("heun");
        this.lowerOrderFinal = or(cfg.lowerOrderFinal(), true);
        this.karras = or(cfg.useKarrasSigmas(), false);
        this.lambdaMinClipped = or(cfg.lambdaMinClipped(), Double.NEGATIVE_INFINITY);
        this.spacing = or(cfg.timestepSpacing(), "linspace");
        this.stepsOffset = or(cfg.stepsOffset(), 0);
        int n = numTrain;
        alphaT = new float[n];
        sigmaT = new float[n];
        lambdaT = new float[n];
        for (int t = 0; t < n; t++) {
            float a = schedule.alphaCumprod(t);
            alphaT[t] = sqrt(a);
            sigmaT[t] = sqrt(1f - a);
            lambdaT[t] = log(alphaT[t]) - log(sigmaT[t]);
        }
    }

    @Override
    public void setTimesteps(int steps) {
        checkSteps(steps);
        // Timesteps whose lambda is below lambda_min_clipped are cut off the top (cosine schedules).
        int clipped = 0;
        float clip = (float) lambdaMinClipped;
        for (int i = numTrain - 1; i >= 0 && lambdaT[i] < clip; i--) clipped++;
        int last = numTrain - clipped;
        double[] ts;
        switch (spacing) {
            case "linspace" -> {
                double[] l = Np.linspace(0, last - 1, steps + 1);
                ts = new double[steps];
                for (int i = 0; i < steps; i++) ts[i] = Np.round(l[steps - i]);
            }
            case "leading" -> {
                int ratio = last / (steps + 1);
                ts = new double[steps];
                for (int i = 0; i < steps; i++) ts[i] = (double) (steps - i) * ratio + stepsOffset;
            }
            default -> { // trailing
                double[] a = Np.arange(last, 0, -(double) numTrain / steps);
                ts = new double[a.length];
                for (int i = 0; i < a.length; i++) ts[i] = Np.round(a[i]) - 1;
            }
        }
        float[] train = SigmaSampler.trainingSigmas(schedule);
        if (karras) {
            // diffusers passes the ascending table, so this ramp runs from sigma_min to sigma_max;
            // the timesteps are then reversed.
            double[] k = Np.karras(train[0], train[numTrain - 1], steps);
            float[] logSigmas = Np.logF(train);
            ts = new double[steps];
            for (int i = 0; i < steps; i++) ts[steps - 1 - i] = Np.round(Np.sigmaToT(k[i], logSigmas));
            sigmas = new float[steps];
            for (int i = 0; i < steps; i++) sigmas[i] = (float) k[i];
        } else {
            sigmas = train;
        }
        // Drop repeated timesteps, keeping first occurrences in order (np.unique + sort of indices).
        Set<Long> seen = new LinkedHashSet<>();
        for (double t : ts) seen.add((long) t);
        timesteps = seen.stream().mapToDouble(Long::doubleValue).toArray();
        numInferenceSteps = steps;
        reset();
    }

    private void reset() {
        for (Tensor t : modelOutputs) Held.release(t);
        modelOutputs.clear();
        lowerOrderNums = 0;
        counter = 0;
    }

    /** diffusers' {@code scheduler.sigmas} (as float32): the whole training table, or the Karras ramp (ascending). */
    @Override
    public Tensor sigmas() {
        requireTimesteps();
        return Tensors.fromFloats(sigmas, sigmas.length);
    }

    @Override
    public Tensor step(Tensor modelOutput, int stepIndex, Tensor latents, NoiseSource noise) {
        checkIndex(stepIndex);
        if (stepIndex != counter) {
            throw new IllegalStateException("dpm++2m is a multistep method: expected step " + counter + ", got " + stepIndex
                    + " (call setTimesteps to start again)");
        }
        int n = timesteps.length;
        int t = intTimestep(stepIndex);
        int prevT = stepIndex == n - 1 ? 0 : intTimestep(stepIndex + 1);
        boolean finalFirstOrder = stepIndex == n - 1 && lowerOrderFinal && n < 15;
        boolean finalSecondOrder = stepIndex == n - 2 && lowerOrderFinal && n < 15;

        Tensor converted = convert(modelOutput, t, latents);
        modelOutputs.add(Held.retain(converted.detach()));
        while (modelOutputs.size() > solverOrder) Held.release(modelOutputs.remove(0));

        Tensor prev;
        if (solverOrder == 1 || lowerOrderNums < 1 || finalFirstOrder) {
            prev = firstOrder(converted, t, prevT, latents);
        } else if (solverOrder == 2 || lowerOrderNums < 2 || finalSecondOrder) {
            prev = secondOrder(intTimestep(stepIndex - 1), t, prevT, latents);
        } else {
            prev = thirdOrder(intTimestep(stepIndex - 2), intTimestep(stepIndex - 1), t, prevT, latents);
        }
        if (lowerOrderNums < solverOrder) lowerOrderNums++;
        counter++;
        return prev;
    }

    /** The model output as the solver's variable: x0 (dpmsolver++) or eps (dpmsolver). */
    private Tensor convert(Tensor mo, int t, Tensor sample) {
        float a = alphaT[t], s = sigmaT[t];
        if (dataPrediction) {
            return switch (prediction) {
                case EPSILON -> div(sample.sub(mul(mo, s)), a);
                case SAMPLE -> mo;
                case V_PREDICTION -> mul(sample, a).sub(mul(mo, s));
            };
        }
        return switch (prediction) {
            case EPSILON -> mo;
            case SAMPLE -> div(sample.sub(mul(mo, a)), s);
            case V_PREDICTION -> mul(mo, a).add(mul(sample, s));
        };
    }

    private Tensor m(int back) {
        return modelOutputs.get(modelOutputs.size() - 1 - back);
    }

    /** DPM-Solver-1 (= DDIM): Lu et al. 2022, eq. 5 (++) / DPM-Solver eq. 3.7. */
    private Tensor firstOrder(Tensor mo, int s, int t, Tensor x) {
        float h = lambdaT[t] - lambdaT[s];
        if (dataPrediction) {
            return mul(x, sigmaT[t] / sigmaT[s]).sub(mul(mo, alphaT[t] * (exp(-h) - 1f)));
        }
        return mul(x, alphaT[t] / alphaT[s]).sub(mul(mo, sigmaT[t] * (exp(h) - 1f)));
    }

    /** Multistep second order (DPM-Solver++(2M), Algorithm 2), midpoint or Heun form. */
    private Tensor secondOrder(int s1, int s0, int t, Tensor x) {
        Tensor m0 = m(0), m1 = m(1);
        float h = lambdaT[t] - lambdaT[s0];
        float h0 = lambdaT[s0] - lambdaT[s1];
        float r0 = h0 / h;
        Tensor d0 = m0;
        Tensor d1 = mul(m0.sub(m1), 1f / r0);
        if (dataPrediction) {
            float c = alphaT[t] * (exp(-h) - 1f);
            Tensor base = mul(x, sigmaT[t] / sigmaT[s0]).sub(mul(d0, c));
            return midpoint ? base.sub(mul(d1, 0.5f * c))
                    : base.add(mul(d1, alphaT[t] * ((exp(-h) - 1f) / h + 1f)));
        }
        float c = sigmaT[t] * (exp(h) - 1f);
        Tensor base = mul(x, alphaT[t] / alphaT[s0]).sub(mul(d0, c));
        return midpoint ? base.sub(mul(d1, 0.5f * c))
                : base.sub(mul(d1, sigmaT[t] * ((exp(h) - 1f) / h - 1f)));
    }

    /** Multistep third order (DPM-Solver++(3M)). */
    private Tensor thirdOrder(int s2, int s1, int s0, int t, Tensor x) {
        Tensor m0 = m(0), m1 = m(1), m2 = m(2);
        float h = lambdaT[t] - lambdaT[s0];
        float h0 = lambdaT[s0] - lambdaT[s1];
        float h1 = lambdaT[s1] - lambdaT[s2];
        float r0 = h0 / h, r1 = h1 / h;
        Tensor d10 = mul(m0.sub(m1), 1f / r0);
        Tensor d11 = mul(m1.sub(m2), 1f / r1);
        Tensor d1 = d10.add(mul(d10.sub(d11), r0 / (r0 + r1)));
        Tensor d2 = mul(d10.sub(d11), 1f / (r0 + r1));
        if (dataPrediction) {
            float e = exp(-h) - 1f;
            return mul(x, sigmaT[t] / sigmaT[s0]).sub(mul(m0, alphaT[t] * e))
                    .add(mul(d1, alphaT[t] * (e / h + 1f)))
                    .sub(mul(d2, alphaT[t] * ((e + h) / (h * h) - 0.5f)));
        }
        float e = exp(h) - 1f;
        return mul(x, alphaT[t] / alphaT[s0]).sub(mul(m0, sigmaT[t] * e))
                .sub(mul(d1, sigmaT[t] * (e / h - 1f)))
                .sub(mul(d2, sigmaT[t] * ((e - h) / (h * h) - 0.5f)));
    }
}
