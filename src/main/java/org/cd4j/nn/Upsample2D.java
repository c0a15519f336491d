package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * diffusers' {@code Upsample2D} with a convolution: nearest-neighbour ×2 (or to an explicit
 * size, which the UNet passes when a skip connection has an odd size) then a 3×3 {@code conv}.
 */
public final class Upsample2D extends Module {
    private final Conv2d conv;

    public Upsample2D(long in, long out, DType dtype) {
        super(dtype);
        this.conv = child("conv", new Conv2d(in, out, 3, 1, 1, dtype));
    }

    /** @param h target height, or 0 for twice the input's; likewise {@code w} */
    public Tensor forward(Tensor x, long h, long w) {
        return Scopes.keep(() -> compute(x, h, w)); // the upsampled input is 4x the input: not kept
    }

    private Tensor compute(Tensor x, long h, long w) {
        long th = h > 0 ? h : x.size(2) * 2;
        long tw = w > 0 ? w : x.size(3) * 2;
        // nearest upsampling is not implemented for bf16 on every backend: upcast as diffusers does
        boolean bf16 = x.scalar_type().value == torch.ScalarType.BFloat16.value; // JavaCPP enums: compare values
        Tensor in = bf16 ? x.to(torch.ScalarType.Float) : x;
        Tensor up = F.interpolateNearest(in, th, tw);
        if (bf16) up = up.to(torch.ScalarType.BFloat16);
        return conv.forward(up);
    }

    public Tensor forward(Tensor x) {
        return forward(x, 0, 0);
    }
}
