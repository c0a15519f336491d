package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.LayerNorm;
import org.cd4j.nn.Module;
import org.cd4j.nn.Scopes;

/**
 * diffusers' {@code BasicTransformerBlock} (pre-norm, layer_norm variant):
 * {@code h += attn1(norm1(h))}, {@code h += attn2(norm2(h), context)}, {@code h += ff(norm3(h))}.
 * With {@code only_cross_attention}, {@code attn1} also attends to the context.
 */
public final class BasicTransformerBlock extends Module {
    private static final double LAYER_NORM_EPS = 1e-5; // nn.LayerNorm's default, as diffusers builds it

    private final LayerNorm norm1;
    private final Attention attn1;
    private final LayerNorm norm2;
    private final Attention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;
    private final boolean onlyCrossAttention;

    /**
     * @param dim                width of the tokens ({@code heads · headDim})
     * @param crossAttentionDim  width of the encoder states
     */
    public BasicTransformerBlock(long dim, int heads, long headDim, long crossAttentionDim,
                                 boolean onlyCrossAttention, boolean upcastAttention, DType dtype) {
        super(dtype);
        this.onlyCrossAttention = onlyCrossAttention;
        this.norm1 = child("norm1", new LayerNorm(dim, LAYER_NORM_EPS, dtype));
        this.attn1 = child("attn1", new Attention(dim, onlyCrossAttention ? crossAttentionDim : 0, heads, headDim,
                upcastAttention, dtype));
        this.norm2 = child("norm2", new LayerNorm(dim, LAYER_NORM_EPS, dtype));
        this.attn2 = child("attn2", new Attention(dim, crossAttentionDim, heads, headDim, upcastAttention, dtype));
        this.norm3 = child("norm3", new LayerNorm(dim, LAYER_NORM_EPS, dtype));
        this.ff = child("ff", new FeedForward(dim, dtype));
    }

    /**
     * @param h       (B, T, dim)
     * @param context (B, S, cross_attention_dim)
     */
    public Tensor forward(Tensor h, Tensor context) {
        return Scopes.keep(() -> compute(h, context)); // the block's intermediates freed when it returns
    }

    private Tensor compute(Tensor h, Tensor context) {
        // Out-of-place adds: h is saved for the backward pass of the norms.
        h = attn1.forward(norm1.forward(h), onlyCrossAttention ? context : null).add(h);
        h = attn2.forward(norm2.forward(h), context).add(h);
        return ff.forward(norm3.forward(h)).add(h);
    }

    public Attention attn1() {
        return attn1;
    }

    public Attention attn2() {
        return attn2;
    }
}
