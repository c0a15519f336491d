package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Module;
import org.cd4j.nn.ResnetBlock2D;
import org.cd4j.nn.Upsample2D;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code CrossAttnUpBlock2D} or {@code UpBlock2D}: {@code layers_per_block + 1}
 * resnets, each fed the previous output concatenated with one skip connection (popped from the
 * end), each followed by a transformer in the cross-attention variant; then an optional
 * {@code upsamplers.0}.
 */
final class UpBlock extends Module {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Transformer2DModel> attentions = new ArrayList<>();
    private final Upsample2D upsampler;

    /**
     * Up block {@code i} of {@code config}; per-block settings are read at the mirrored index
     * {@code n-1-i}, like diffusers' {@code reversed(...)} lists.
     *
     * @param prevOutChannels channels coming from the block below
     */
    UpBlock(UNetConfig config, int i, long prevOutChannels, DType dtype) {
        super(dtype);
        int n = config.blockCount();
        int r = n - 1 - i;
        long out = config.blockOutChannels().get(r);
        long in = config.blockOutChannels().get(Math.max(r - 1, 0)); // reversed[min(i + 1, n - 1)]
        int layers = config.layersPerBlock().get(r) + 1;
        boolean crossAttn = UNetConfig.CROSS_ATTN_UP.equals(config.upBlockTypes().get(i));
        Container attnList = crossAttn ? child("attentions", new Container(dtype)) : null;
        Container resList = child("resnets", new Container(dtype));
        for (int j = 0; j < layers; j++) {
            long skip = j == layers - 1 ? in : out;
            long resIn = j == 0 ? prevOutChannels : out;
            resnets.add(resList.append(new ResnetBlock2D(resIn + skip, out, config.timeEmbedDim(),
                    config.normNumGroups(), config.normEps(), 1.0, config.actFn(), dtype)));
            if (crossAttn) {
                int heads = config.headsFor(r);
                attentions.add(attnList.append(new Transformer2DModel(heads, out / heads, out,
                        config.transformerLayersPerBlock().get(r), config.crossAttentionDim().get(r),
                        config.normNumGroups(), config.useLinearProjection(), config.onlyCrossAttention().get(r),
                        config.upcastAttention(), dtype)));
            }
        }
        this.upsampler = i < n - 1
                ? child("upsamplers", new Container(dtype)).add("0", new Upsample2D(out, out, dtype))
                : null;
    }

    /** Number of skip connections this block consumes. */
    int skipCount() {
        return resnets.size();
    }

    /**
     * @param skips this block's skip connections, consumed from the end
     * @param upH   upsampling target height, or 0 for twice the input's (likewise {@code upW})
     */
    Tensor forward(Tensor x, List<Tensor> skips, Tensor temb, Tensor context, long upH, long upW) {
        for (int j = 0; j < resnets.size(); j++) {
            Tensor skip = skips.remove(skips.size() - 1);
            x = resnets.get(j).forward(F.cat(1, x, skip), temb); // (B, C + C_skip, H, W)
            if (!attentions.isEmpty()) x = attentions.get(j).forward(x, context);
        }
        if (upsampler != null) x = upsampler.forward(x, upH, upW);
        return x;
    }
}
