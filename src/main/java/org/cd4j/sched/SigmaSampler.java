package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * The k-diffusion view shared by the Euler samplers ("Elucidating the Design Space of
 * Diffusion-Based Generative Models", Karras et al. 2022): the variance-exploding
 * {@code x = x0 + sigma·eps} with {@code sigma_t = sqrt((1 − acp_t)/acp_t)}, float timesteps
 * interpolated between training steps, model input {@code x / sqrt(sigma² + 1)} (which maps back
 * to the DDPM scale the UNet was trained on), and initial noise of standard deviation
 * {@code sigma_max}.
 */
abstract class SigmaSampler extends AbstractSampler {
    private final String spacing;
    private final int stepsOffset;
    private final boolean karras;
    private final String interpolation;
    /** sigma_t for every training timestep (float32, ascending in t). */
    private final float[] trainSigmas;
    /** Inference sigmas followed by 0 (float32). */
    protected float[] sigmas;

    SigmaSampler(String name, SchedulerConfig cfg, boolean karras, String interpolation) {
        super(name, NoiseSchedule.forSigmaSampling(cfg), cfg);
        this.spacing = or(cfg.timestepSpacing(), "linspace");
        this.stepsOffset = or(cfg.stepsOffset(), 0);
        this.karras = karras;
        this.interpolation = interpolation;
        this.trainSigmas = trainingSigmas(schedule);
    }

    /** {@code ((1 - acp) / acp) ** 0.5} in float32, as diffusers' tensor expression. */
    static float[] trainingSigmas(NoiseSchedule s) {
        float[] out = new float[s.numTrainTimesteps()];
        for (int t = 0; t < out.length; t++) {
            float a = s.alphaCumprod(t);
            out[t] = sqrt((1f - a) / a);
        }
        return out;
    }

    @Override
    public void setTimesteps(int steps) {
        checkSteps(steps);
        double[] ts = new double[steps]; // float32 values, as diffusers' np.float32 grids
        switch (spacing) {
            case "linspace" -> {
                double[] l = Np.linspace(0, numTrain - 1, steps);
                for (int i = 0; i < steps; i++) ts[steps - 1 - i] = (float) l[i];
            }
            case "leading" -> {
                int ratio = numTrain / steps;
                for (int k = 0; k < steps; k++) ts[steps - 1 - k] = (float) ((double) k * ratio) + stepsOffset; // float32 + int
            }
            default -> { // trailing
                double[] a = Np.arange(numTrain, 0, -(double) numTrain / steps);
                ts = new double[a.length];
                for (int i = 0; i < a.length; i++) ts[i] = (float) Np.round(a[i]) - 1f; // astype(float32) - 1
            }
        }
        double[] sig; // the inference sigmas before the final 0, in float64 as numpy has them
        if (interpolation.equals("log_linear")) {
            // diffusers: torch.linspace(log(sigma_max), log(sigma_min), steps + 1).exp() in float32, so
            // there is one more sigma than timesteps and the trailing 0 is never reached.
            float[] l = TorchCpu.linspace(log(trainSigmas[numTrain - 1]), log(trainSigmas[0]), steps + 1);
            sig = new double[l.length];
            for (int i = 0; i < l.length; i++) sig[i] = exp(l[i]);
        } else {
            sig = new double[ts.length];
            for (int i = 0; i < ts.length; i++) sig[i] = Np.interp(ts[i], trainSigmas);
        }
        timestepDType = DType.F32;
        if (karras) {
            sig = Np.karras(sig[0], sig[sig.length - 1], steps);
            float[] logSigmas = Np.logF(trainSigmas);
            ts = new double[sig.length];
            for (int i = 0; i < sig.length; i++) ts[i] = Np.sigmaToT(sig[i], logSigmas);
            timestepDType = DType.F64; // numpy float64 in diffusers 0.21.4
        }
        sigmas = new float[sig.length + 1];
        for (int i = 0; i < sig.length; i++) sigmas[i] = (float) sig[i];
        timesteps = ts;
        numInferenceSteps = steps;
    }

    @Override
    public Tensor sigmas() {
        requireTimesteps();
        return Tensors.fromFloats(sigmas, sigmas.length);
    }

    @Override
    public double initNoiseSigma() {
        requireTimesteps();
        float max = 0;
        for (float s : sigmas) max = Math.max(max, s);
        // "leading" grids do not start at the last training step, hence sqrt(sigma² + 1) there.
        return spacing.equals("leading") ? sqrt(max * max + 1f) : max;
    }

    @Override
    public Tensor scaleModelInput(Tensor latents, int stepIndex) {
        checkIndex(stepIndex);
        float s = sigmas[stepIndex];
        return div(latents, sqrt(s * s + 1f));
    }

    /** The denoised estimate x0 from the model output at noise level {@code sigma}. */
    protected Tensor predictX0(Tensor mo, Tensor sample, float sigma) {
        return switch (prediction) {
            case EPSILON -> sample.sub(mul(mo, sigma));
            case SAMPLE -> mo;
            // v on the DDPM scale; with c = 1/sqrt(sigma²+1): x0 = c²·x − sigma·c·v.
            case V_PREDICTION -> mul(mo, -sigma / sqrt(sigma * sigma + 1f)).add(div(sample, sigma * sigma + 1f));
        };
    }
}
