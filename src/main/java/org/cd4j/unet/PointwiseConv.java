package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Module;
import org.cd4j.nn.OpProfile;

/**
 * A 1×1 {@code Conv2d} (parameters {@code weight (out, in, 1, 1)} and {@code bias (out)}, the
 * checkpoint layout of SD-1's {@code proj_in}/{@code proj_out}) applied to a token sequence.
 * A 1×1 convolution is a linear map over channels, so applying it to the channels-last tokens the
 * transformer needs anyway saves the NCHW↔tokens copy that convolving first would cost.
 */
final class PointwiseConv extends Module {
    private final long in;
    private final long out;
    private final Tensor weight;
    private final Tensor bias;

    PointwiseConv(long in, long out, DType dtype) {
        super(dtype);
        this.in = in;
        this.out = out;
        this.weight = param("weight", out, in, 1, 1);
        this.bias = param("bias", out);
    }

    /** @param tokens (B, T, in) → (B, T, out) */
    Tensor forward(Tensor tokens) {
        long t0 = OpProfile.begin();
        Tensor y = F.linear(tokens, weight.view(out, in), bias); // weight (out, in, 1, 1) viewed as (out, in)
        if (t0 != 0) {
            long rows = tokens.numel() / in;
            OpProfile.end(t0, "conv1x1", rows + "x" + in + "->" + out, 2.0 * rows * in * out);
        }
        return y;
    }
}
