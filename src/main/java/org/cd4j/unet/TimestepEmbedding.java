package org.cd4j.unet;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;
import org.cd4j.nn.Tensors;

/**
 * diffusers' {@code TimestepEmbedding}: {@code linear_2(act(linear_1(x)))}, which turns the
 * sinusoidal timestep features of {@link #sinusoidal} into the vector every resnet adds.
 */
public final class TimestepEmbedding extends Module {
    private static final double MAX_PERIOD = 10000;

    private final Linear linear1;
    private final Linear linear2;
    private final String act;

    public TimestepEmbedding(long in, long timeEmbedDim, String act, DType dtype) {
        super(dtype);
        this.linear1 = child("linear_1", new Linear(in, timeEmbedDim, true, dtype));
        this.linear2 = child("linear_2", new Linear(timeEmbedDim, timeEmbedDim, true, dtype));
        this.act = act;
    }

    /** (B, in) → (B, timeEmbedDim). */
    public Tensor forward(Tensor x) {
        return linear2.forward(F.activation(act, linear1.forward(x)));
    }

    /**
     * diffusers' {@code get_timestep_embedding} (DDPM's sinusoidal embedding), always in float32:
     * frequencies {@code exp(-ln(10000) · i / (half - downscaleFreqShift))} for
     * {@code i < half = dim / 2}, then {@code [sin(t·f), cos(t·f)]}, swapped to cos-first with
     * {@code flipSinToCos}, zero-padded when {@code dim} is odd. The operations and their order
     * follow diffusers exactly, so float32 rounding matches too.
     *
     * @param timesteps (N) of any numeric dtype; may be fractional
     * @return (N, dim) float32
     */
    public static Tensor sinusoidal(Tensor timesteps, int dim, boolean flipSinToCos, double downscaleFreqShift) {
        if (timesteps.dim() != 1) throw new IllegalArgumentException("timesteps must be 1-D, got " + timesteps.dim() + "-D");
        int half = dim / 2;
        Tensor exponent = torch.arange(new Scalar(0), new Scalar(half), Tensors.options(DType.F32, timesteps))
                .mul(new Scalar(-Math.log(MAX_PERIOD)));
        exponent = exponent.div(new Scalar(half - downscaleFreqShift));
        Tensor freqs = exponent.exp().unsqueeze(0); // (1, half)
        Tensor args = timesteps.unsqueeze(1).to(torch.ScalarType.Float).mul(freqs); // (N, half)
        Tensor emb = flipSinToCos ? F.cat(-1, args.cos(), args.sin()) : F.cat(-1, args.sin(), args.cos()); // (N, 2·half)
        if (dim % 2 == 1) emb = torch.constant_pad_nd(emb, new long[]{0, 1, 0, 0}, new Scalar(0.0));
        return emb;
    }
}
