package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * diffusers' {@code Downsample2D} with a convolution: a 3×3 stride-2 {@code conv}. With
 * padding 0 (the VAE encoder) the input is first padded by one on the right and bottom, as
 * diffusers does, so odd and even sizes halve the same way.
 */
public final class Downsample2D extends Module {
    private final Conv2d conv;
    private final long padding;

    public Downsample2D(long in, long out, long padding, DType dtype) {
        super(dtype);
        this.padding = padding;
        this.conv = child("conv", new Conv2d(in, out, 3, 2, padding, dtype));
    }

    public Tensor forward(Tensor x) {
        if (padding == 0) {
            x = torch.constant_pad_nd(x, new long[]{0, 1, 0, 1}, new org.bytedeco.pytorch.Scalar(0.0));
        }
        return conv.forward(x);
    }
}
