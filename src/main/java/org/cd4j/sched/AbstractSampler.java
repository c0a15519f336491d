package org.cd4j.sched;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.Tensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.cd4j.sched.SchedulerConfig.or;

/**
 * What the samplers share: the resolved noise schedule and prediction type, the timestep
 * bookkeeping, and float32 scalar arithmetic helpers.
 *
 * <p>diffusers computes every per-step coefficient as a 0-dimensional float32 tensor
 * ({@code alphas_cumprod[t] ** 0.5} …), so the samplers do that arithmetic in Java {@code float}
 * (same IEEE single operations, same rounding) and apply it with one tensor op per Python
 * operator, in the same order. On the reference traces the results are bit-identical.
 */
abstract class AbstractSampler implements Sampler {
    protected final String name;
    protected final NoiseSchedule schedule;
    protected final PredictionType prediction;
    protected final int numTrain;
    /** Timesteps of the current setting; null before {@link #setTimesteps}. */
    protected double[] timesteps;
    protected DType timestepDType = DType.I64;
    protected int numInferenceSteps;

    AbstractSampler(String name, NoiseSchedule schedule, SchedulerConfig cfg) {
        this.name = name;
        this.schedule = schedule;
        this.prediction = PredictionType.parse(or(cfg.predictionType(), "epsilon"));
        this.numTrain = schedule.numTrainTimesteps();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    @Override
    public PredictionType predictionType() {
        return prediction;
    }

    @Override
    public int numInferenceSteps() {
        requireTimesteps();
        return numInferenceSteps;
    }

    @Override
    public int numSteps() {
        requireTimesteps();
        return timesteps.length;
    }

    @Override
    public double timestep(int i) {
        checkIndex(i);
        return timesteps[i];
    }

    @Override
    public Tensor timesteps() {
        requireTimesteps();
        int n = timesteps.length;
        switch (timestepDType) {
            case I64: {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) v[i] = (long) timesteps[i];
                return Tensors.fromLongs(v, n);
            }
            case F32: {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float) timesteps[i];
                return Tensors.fromFloats(v, n);
            }
            default: {
                ByteBuffer b = ByteBuffer.allocateDirect(8 * n).order(ByteOrder.LITTLE_ENDIAN);
                for (double d : timesteps) b.putDouble(d);
                return Tensors.copyOf(b.flip(), DType.F64, n);
            }
        }
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public Tensor scaleModelInput(Tensor latents, int stepIndex) {
        checkIndex(stepIndex);
        return latents;
    }

    /** Validates the requested step count, as every diffusers scheduler does. */
    protected void checkSteps(int steps) {
        if (steps < 1) throw new IllegalArgumentException("number of inference steps must be >= 1, got " + steps);
        if (steps > numTrain) {
            throw new IllegalArgumentException("number of inference steps (" + steps + ") cannot exceed the "
                    + numTrain + " training timesteps of the scheduler");
        }
    }

    protected void requireTimesteps() {
        if (timesteps == null) throw new IllegalStateException(name + ": call setTimesteps(steps) before sampling");
    }

    protected void checkIndex(int i) {
        requireTimesteps();
        if (i < 0 || i >= timesteps.length) {
            throw new IndexOutOfBoundsException(name + ": step index " + i + " outside 0.." + (timesteps.length - 1));
        }
    }

    /** The integer timestep at step {@code i} (for samplers whose timesteps index the tables). */
    protected int intTimestep(int i) {
        return (int) timestep(i);
    }

    /** Noise of the model output's shape, from a source that must be there. */
    protected Tensor drawNoise(NoiseSource noise, Tensor like) {
        if (noise == null) {
            throw new IllegalArgumentException(name + " draws Gaussian noise at every step: pass a NoiseSource "
                    + "(NoiseSource.of(Rng.seeded(seed)) reproduces diffusers' generator)");
        }
        Tensor n = noise.next(Tensors.shape(like));
        if (!Arrays.equals(Tensors.shape(n), Tensors.shape(like))) {
            throw new IllegalStateException("noise source returned shape " + Arrays.toString(Tensors.shape(n))
                    + ", asked for " + Arrays.toString(Tensors.shape(like)));
        }
        // A seeded CPU generator's draw moves to the latents' device, as diffusers' randn_tensor
        // does: the same seed gives the same noise on any device.
        n = Device.of(like).put(n);
        // Compare by value: JavaCPP returns fresh enum instances from scalar_type().
        return n.scalar_type().value == like.scalar_type().value ? n : n.to(like.scalar_type());
    }

    /** Refuses dynamic thresholding, which these ports do not implement (it is for pixel-space models). */
    static void refuseThresholding(SchedulerConfig cfg, String sampler) {
        if (Boolean.TRUE.equals(cfg.thresholding())) {
            throw SchedulerConfig.bad("thresholding", "is true, but dynamic thresholding is not supported by the "
                    + sampler + " sampler (it is meant for pixel-space models such as Imagen, not latent diffusion); set it to false");
        }
    }

    // ---- float32 arithmetic, see the class comment ----

    static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }

    static float exp(float x) {
        return (float) Math.exp(x);
    }

    static float log(float x) {
        return (float) Math.log(x);
    }

    /** {@code x * s} (the float is exact in the Scalar, torch computes in float32). */
    static Tensor mul(Tensor x, float s) {
        return x.mul(new Scalar((double) s));
    }

    /** {@code x / s}, a true division as in Python (not a multiply by the reciprocal). */
    static Tensor div(Tensor x, float s) {
        return x.div(new Scalar((double) s));
    }
}
