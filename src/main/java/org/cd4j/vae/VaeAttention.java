package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.GroupNorm;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;
import org.cd4j.nn.Scopes;

/**
 * The VAE mid-block attention: diffusers' {@code Attention} as {@code UNetMidBlock2D} builds it
 * ({@code _from_deprecated_attn_block}): GroupNorm, one head spanning all channels (scale
 * {@code C^-0.5}), biased {@code to_q/to_k/to_v/to_out.0}, residual connection, output rescale 1.
 * Every pixel attends to every pixel: at 1024×1024 pixels the decoder's mid block has 16384
 * tokens, a 1 GiB float32 weight matrix, so the attention goes through an {@link AttentionKernel}
 * as a 4-D one-head tensor, the shape libtorch's flash kernel takes (3-D inputs fall back to its
 * math path, which forms the matrix).
 */
final class VaeAttention extends Module {
    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final double scale;
    private AttentionKernel kernel = AttentionKernel.DEFAULT;

    VaeAttention(long channels, long groups, double eps, DType dtype) {
        super(dtype);
        this.groupNorm = child("group_norm", new GroupNorm(groups, channels, eps, dtype));
        this.toQ = child("to_q", new Linear(channels, channels, true, dtype));
        this.toK = child("to_k", new Linear(channels, channels, true, dtype));
        this.toV = child("to_v", new Linear(channels, channels, true, dtype));
        // to_out is ModuleList(Linear, Dropout); only the Linear has weights.
        VaeModuleList<Linear> out = child("to_out", new VaeModuleList<>(dtype));
        this.toOut = out.add(new Linear(channels, channels, true, dtype));
        this.scale = Math.pow(channels, -0.5);
    }

    void setKernel(AttentionKernel kernel) {
        this.kernel = kernel;
    }

    /** @param x (B, C, H, W); returns (B, C, H, W), its intermediates released */
    Tensor forward(Tensor x) {
        return Scopes.keep(() -> compute(x));
    }

    private Tensor compute(Tensor x) {
        long b = x.size(0);
        long c = x.size(1);
        long h = x.size(2);
        long w = x.size(3);
        // GroupNorm on (B, C, H, W) equals diffusers' GroupNorm on (B, C, H*W): same groups, same statistics.
        Tensor tokens = groupNorm.forward(x).view(b, c, h * w).transpose(1, 2); // (B, HW, C)
        Tensor q = toQ.forward(tokens);
        Tensor k = toK.forward(tokens);
        Tensor v = toV.forward(tokens);
        Tensor o = kernel.attend(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1), scale).squeeze(1); // (B, 1, HW, C) -> (B, HW, C)
        o = toOut.forward(o).transpose(1, 2).reshape(b, c, h, w); // (B, C, H, W)
        return o.add(x);
    }
}
