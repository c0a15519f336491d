package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.GroupNorm;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;
import org.cd4j.nn.Scopes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * diffusers' {@code Transformer2DModel} for continuous inputs (the UNet's spatial transformer):
 * {@code norm} (GroupNorm, eps 1e-6) → {@code proj_in} → tokens → {@code transformer_blocks} →
 * {@code proj_out} → image, plus the input as residual. {@code proj_in}/{@code proj_out} are 1×1
 * convolutions (SD-1) or, with {@code use_linear_projection} (SD-2), linear layers; both are
 * applied to the channels-last tokens, which is the same map.
 */
public final class Transformer2DModel extends Module {
    private static final double GROUP_NORM_EPS = 1e-6;

    private final GroupNorm norm;
    private final Linear projInLinear;
    private final PointwiseConv projInConv;
    private final List<BasicTransformerBlock> blocks = new ArrayList<>();
    private final Linear projOutLinear;
    private final PointwiseConv projOutConv;

    /**
     * @param channels          input/output channels ({@code heads · headDim} in every SD UNet)
     * @param numLayers         {@code transformer_layers_per_block}
     * @param groups            {@code norm_num_groups}
     */
    public Transformer2DModel(int heads, long headDim, long channels, int numLayers, long crossAttentionDim,
                              long groups, boolean useLinearProjection, boolean onlyCrossAttention,
                              boolean upcastAttention, DType dtype) {
        super(dtype);
        long inner = heads * headDim;
        this.norm = child("norm", new GroupNorm(groups, channels, GROUP_NORM_EPS, dtype));
        if (useLinearProjection) {
            this.projInLinear = child("proj_in", new Linear(channels, inner, true, dtype));
            this.projInConv = null;
        } else {
            this.projInConv = child("proj_in", new PointwiseConv(channels, inner, dtype));
            this.projInLinear = null;
        }
        Container list = child("transformer_blocks", new Container(dtype));
        for (int i = 0; i < numLayers; i++) {
            blocks.add(list.append(new BasicTransformerBlock(inner, heads, headDim, crossAttentionDim,
                    onlyCrossAttention, upcastAttention, dtype)));
        }
        if (useLinearProjection) {
            this.projOutLinear = child("proj_out", new Linear(inner, channels, true, dtype));
            this.projOutConv = null;
        } else {
            this.projOutConv = child("proj_out", new PointwiseConv(inner, channels, dtype));
            this.projOutLinear = null;
        }
    }

    /**
     * @param x       (B, C, H, W)
     * @param context (B, S, cross_attention_dim)
     * @return (B, C, H, W)
     */
    public Tensor forward(Tensor x, Tensor context) {
        return Scopes.keep(() -> compute(x, context)); // the intermediates freed when it returns
    }

    private Tensor compute(Tensor x, Tensor context) {
        long b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Tensor t = norm.forward(x).permute(0, 2, 3, 1).reshape(b, h * w, c); // (B, HW, C): the one layout copy
        t = projInLinear != null ? projInLinear.forward(t) : projInConv.forward(t); // (B, HW, inner)
        for (BasicTransformerBlock blk : blocks) t = blk.forward(t, context);
        t = projOutLinear != null ? projOutLinear.forward(t) : projOutConv.forward(t); // (B, HW, C)
        Tensor img = t.reshape(b, h, w, c).permute(0, 3, 1, 2); // (B, C, H, W) view, channels-last strides
        // Residual first: the sum takes x's contiguous NCHW layout, so no separate .contiguous() copy.
        return x.add(img);
    }

    /** The transformer blocks, in order. */
    public List<BasicTransformerBlock> blocks() {
        return Collections.unmodifiableList(blocks);
    }
}
