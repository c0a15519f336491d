package org.cd4j.sched;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.Device;
import org.cd4j.nn.Tensors;

import java.util.List;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * The discrete forward (noising) process of DDPM: {@code betas} and their cumulative product
 * {@code alphas_cumprod}, plus the training-side functions {@code add_noise}, {@code get_velocity}
 * and the loss target. Numbers are computed in float32 with the same torch operations diffusers
 * uses, so they are bit-identical to {@code DDPMScheduler.betas / .alphas_cumprod}.
 *
 * <p>Immutable; it holds Java arrays only, so it is safe to keep across native-memory scopes.
 */
public final class NoiseSchedule {
    private final float[] betas;
    private final float[] alphasCumprod;

    private NoiseSchedule(float[] betas, float[] alphasCumprod) {
        this.betas = betas;
        this.alphasCumprod = alphasCumprod;
    }

    /**
     * The schedule {@code DDPMScheduler.from_config(cfg)} builds: the one the training scripts use.
     * Absent fields take the defaults every diffusers scheduler shares (1000 steps, linear
     * 1e-4 … 0.02). {@code rescale_betas_zero_snr} is honoured, as later diffusers' DDPMScheduler
     * does (0.21.4's, which the reference trainers pin, ignored it, so a zero-terminal-SNR model
     * was fine-tuned on the wrong schedule); configs without the field are unaffected.
     */
    public static NoiseSchedule fromConfig(SchedulerConfig cfg) {
        return fromConfig(cfg, or(cfg.rescaleBetasZeroSnr(), false));
    }

    /**
     * The schedule of the samplers that work in sigma = sqrt((1 − ᾱ)/ᾱ) or log-SNR (DPM-Solver,
     * Euler): {@link #fromConfig(SchedulerConfig)}, and when it was rescaled to zero terminal SNR
     * the last ᾱ becomes 2^-24 (float16's smallest subnormal) instead of 0, so the first sigma
     * (about 4096) and log-SNR stay finite — what later diffusers' DPMSolverMultistep and Euler
     * schedulers do.
     */
    public static NoiseSchedule forSigmaSampling(SchedulerConfig cfg) {
        NoiseSchedule s = fromConfig(cfg);
        if (!or(cfg.rescaleBetasZeroSnr(), false)) return s;
        float[] acp = s.alphasCumprod.clone();
        acp[acp.length - 1] = 0x1p-24f;
        return new NoiseSchedule(s.betas, acp);
    }

    /**
     * As {@link #fromConfig(SchedulerConfig)}, rescaled to zero terminal SNR ("Common Diffusion
     * Noise Schedules and Sample Steps are Flawed", Algorithm 1) or not, whatever the config says.
     */
    public static NoiseSchedule fromConfig(SchedulerConfig cfg, boolean rescaleZeroSnr) {
        int n = or(cfg.numTrainTimesteps(), 1000);
        double b0 = or(cfg.betaStart(), 0.0001);
        double b1 = or(cfg.betaEnd(), 0.02);
        String kind = or(cfg.betaSchedule(), "linear");
        float[] betas;
        List<Double> trained = cfg.trainedBetas();
        if (trained != null) {
            if (trained.size() != n) {
                throw SchedulerConfig.bad("trained_betas", "has " + trained.size() + " values but num_train_timesteps is " + n);
            }
            betas = new float[n];
            for (int i = 0; i < n; i++) betas[i] = trained.get(i).floatValue();
        } else if (kind.equals("linear")) {
            betas = TorchCpu.linspace(b0, b1, n);
        } else if (kind.equals("scaled_linear")) {
            // Stable Diffusion's schedule: linear in sqrt(beta), in float32, then squared.
            betas = TorchCpu.linspace(Math.sqrt(b0), Math.sqrt(b1), n);
            for (int i = 0; i < n; i++) betas[i] = betas[i] * betas[i];
        } else if (kind.equals("squaredcos_cap_v2")) {
            betas = cosineBetas(n);
        } else {
            throw SchedulerConfig.bad("beta_schedule", "has unsupported value '" + kind + "'");
        }
        if (rescaleZeroSnr) betas = rescaleZeroTerminalSnr(betas);
        return new NoiseSchedule(betas, TorchCpu.cumprod(oneMinus(betas)));
    }

    private static float[] oneMinus(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = 1f - x[i];
        return out;
    }

    /**
     * Improved-DDPM cosine schedule ("Improved Denoising Diffusion Probabilistic Models" eq. 17),
     * evaluated in double and stored as float32 like diffusers' {@code betas_for_alpha_bar}.
     */
    private static float[] cosineBetas(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            out[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
        }
        return out;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /**
     * Rescales betas so that the last step has zero SNR while the first keeps its SNR ("Common
     * Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1), in float32 as diffusers.
     */
    private static float[] rescaleZeroTerminalSnr(float[] betas) {
        int n = betas.length;
        float[] s = TorchCpu.cumprod(oneMinus(betas));
        for (int i = 0; i < n; i++) s[i] = (float) Math.sqrt(s[i]);
        float first = s[0], last = s[n - 1];
        float scale = first / (first - last);
        float[] acp = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (s[i] - last) * scale;
            acp[i] = v * v;
        }
        float[] out = new float[n];
        out[0] = 1f - acp[0];
        for (int i = 1; i < n; i++) out[i] = 1f - acp[i] / acp[i - 1];
        return out;
    }

    /** Number of training timesteps. */
    public int numTrainTimesteps() {
        return betas.length;
    }

    /** beta_t as float32, shape (N). */
    public Tensor betas() {
        return Tensors.fromFloats(betas, betas.length);
    }

    /** prod_{s<=t} (1 - beta_s) as float32, shape (N). */
    public Tensor alphasCumprod() {
        return Tensors.fromFloats(alphasCumprod, alphasCumprod.length);
    }

    /** alphas_cumprod[t] (a float32 value). */
    public float alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** beta_t (a float32 value). */
    public float beta(int t) {
        return betas[t];
    }

    /** A copy of alphas_cumprod. */
    public float[] alphasCumprodArray() {
        return alphasCumprod.clone();
    }

    /**
     * Forward diffusion {@code q(x_t | x_0)}: {@code sqrt(acp[t])·x0 + sqrt(1−acp[t])·noise}, one
     * timestep per batch element ({@code timesteps} is int64 of shape (B) or a scalar).
     */
    public Tensor addNoise(Tensor x0, Tensor noise, Tensor timesteps) {
        Tensor[] c = coefficients(x0, timesteps);
        return c[0].mul(x0).add(c[1].mul(noise));
    }

    /**
     * The v-prediction target {@code sqrt(acp[t])·noise − sqrt(1−acp[t])·x0} ("Progressive
     * Distillation for Fast Sampling of Diffusion Models" §2.4; diffusers {@code get_velocity}).
     */
    public Tensor getVelocity(Tensor x0, Tensor noise, Tensor timesteps) {
        Tensor[] c = coefficients(x0, timesteps);
        return c[0].mul(noise).sub(c[1].mul(x0));
    }

    /**
     * What the denoiser is trained to output for {@code x_t = addNoise(x0, noise, t)}: the noise
     * (epsilon), the velocity (v_prediction) or x0 itself (sample).
     */
    public Tensor trainingTarget(PredictionType type, Tensor x0, Tensor noise, Tensor timesteps) {
        return switch (type) {
            case EPSILON -> noise;
            case V_PREDICTION -> getVelocity(x0, noise, timesteps);
            case SAMPLE -> x0;
        };
    }

    /** sqrt(acp[t]) and sqrt(1 − acp[t]) shaped (B, 1, …, 1) to broadcast against {@code like}. */
    private Tensor[] coefficients(Tensor like, Tensor timesteps) {
        Device device = Device.of(like);
        Tensor acp = device.put(alphasCumprod()).to(like.scalar_type());
        Tensor idx = device.put(timesteps).to(torch.ScalarType.Long).reshape(-1);
        Tensor a = acp.index_select(0, idx);
        long[] shape = new long[(int) like.dim()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = idx.size(0);
        // diffusers: x ** 0.5 on a float tensor is a sqrt; (1 - x) is an rsub — same ops, same bits.
        Tensor sa = a.pow(new Scalar(0.5)).reshape(shape);
        Tensor s1ma = torch.rsub(a, new Scalar(1.0)).pow(new Scalar(0.5)).reshape(shape);
        return new Tensor[]{sa, s1ma};
    }
}
