package org.cd4j.text;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;

/**
 * transformers' {@code CLIPAttention} ({@code self_attn}) as CLIP's text tower uses it: multi-head
 * self-attention with a causal mask, scale {@code head_dim^-0.5}, biased q/k/v/out projections.
 *
 * <p>transformers adds a mask of {@code finfo.min} above the diagonal and multiplies q by the scale
 * before {@code q k^T}; {@code sdpa(causal=true, scale)} computes the same softmax (the masked
 * terms are exactly 0 either way) in one fused kernel that also backpropagates.
 */
final class ClipEncoderAttention extends Module {
    private final Linear kProj;
    private final Linear vProj;
    private final Linear qProj;
    private final Linear outProj;
    private final int heads;
    private final int headDim;
    private final double scale;

    ClipEncoderAttention(ClipTextConfig c, DType dtype) {
        super(dtype);
        int d = c.hiddenSize();
        this.kProj = child("k_proj", new Linear(d, d, true, dtype));
        this.vProj = child("v_proj", new Linear(d, d, true, dtype));
        this.qProj = child("q_proj", new Linear(d, d, true, dtype));
        this.outProj = child("out_proj", new Linear(d, d, true, dtype));
        this.heads = c.numAttentionHeads();
        this.headDim = c.headDim();
        this.scale = Math.pow(headDim, -0.5);
    }

    /** @param x (B, T, D); returns (B, T, D) */
    Tensor forward(Tensor x) {
        long b = x.size(0);
        long t = x.size(1);
        Tensor q = splitHeads(qProj.forward(x), b, t);
        Tensor k = splitHeads(kProj.forward(x), b, t);
        Tensor v = splitHeads(vProj.forward(x), b, t);
        Tensor o = F.sdpa(q, k, v, null, true, scale); // (B, H, T, d)
        o = o.transpose(1, 2).reshape(b, t, (long) heads * headDim); // (B, T, H*d)
        return outProj.forward(o);
    }

    private Tensor splitHeads(Tensor x, long b, long t) {
        return x.view(b, t, heads, headDim).transpose(1, 2); // (B, T, D) -> (B, H, T, d)
    }
}
