package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Downsample2D;
import org.cd4j.nn.Module;
import org.cd4j.nn.ResnetBlock2D;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code CrossAttnDownBlock2D} (resnet → transformer pairs) or {@code DownBlock2D}
 * (resnets only), then an optional stride-2 {@code downsamplers.0}. Registration order
 * (attentions, resnets, downsamplers) follows diffusers so parameter order matches its state dict.
 */
final class DownBlock extends Module {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Transformer2DModel> attentions = new ArrayList<>();
    private final Downsample2D downsampler;

    /** Down block {@code i} of {@code config}, whose input has {@code inChannels}. */
    DownBlock(UNetConfig config, int i, long inChannels, DType dtype) {
        super(dtype);
        long out = config.blockOutChannels().get(i);
        int layers = config.layersPerBlock().get(i);
        boolean crossAttn = UNetConfig.CROSS_ATTN_DOWN.equals(config.downBlockTypes().get(i));
        boolean addDownsample = i < config.blockCount() - 1;
        Container attnList = crossAttn ? child("attentions", new Container(dtype)) : null;
        Container resList = child("resnets", new Container(dtype));
        for (int j = 0; j < layers; j++) {
            resnets.add(resList.append(new ResnetBlock2D(j == 0 ? inChannels : out, out, config.timeEmbedDim(),
                    config.normNumGroups(), config.normEps(), 1.0, config.actFn(), dtype)));
            if (crossAttn) {
                int heads = config.headsFor(i);
                attentions.add(attnList.append(new Transformer2DModel(heads, out / heads, out,
                        config.transformerLayersPerBlock().get(i), config.crossAttentionDim().get(i),
                        config.normNumGroups(), config.useLinearProjection(), config.onlyCrossAttention().get(i),
                        config.upcastAttention(), dtype)));
            }
        }
        this.downsampler = addDownsample
                ? child("downsamplers", new Container(dtype)).add("0", new Downsample2D(out, out, config.downsamplePadding(), dtype))
                : null;
    }

    /**
     * @param skips receives every resnet/transformer output and the downsampled output, which the
     *              up blocks consume in reverse
     */
    Tensor forward(Tensor x, Tensor temb, Tensor context, List<Tensor> skips) {
        for (int j = 0; j < resnets.size(); j++) {
            x = resnets.get(j).forward(x, temb);
            if (!attentions.isEmpty()) x = attentions.get(j).forward(x, context);
            skips.add(x);
        }
        if (downsampler != null) {
            x = downsampler.forward(x);
            skips.add(x);
        }
        return x;
    }
}
