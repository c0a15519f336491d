package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.nn.ResnetBlock2D;

/**
 * diffusers' {@code UNetMidBlock2DCrossAttn}: resnet → transformer → resnet at the lowest
 * resolution, resnets scaled by {@code mid_block_scale_factor}. diffusers 0.21.4 never passes
 * {@code only_cross_attention} here, so {@code attn1} is always self-attention.
 */
final class MidBlock extends Module {
    private final ResnetBlock2D resnet0;
    private final Transformer2DModel attention;
    private final ResnetBlock2D resnet1;

    MidBlock(UNetConfig config, DType dtype) {
        super(dtype);
        int last = config.blockCount() - 1;
        long c = config.blockOutChannels().get(last);
        int heads = config.headsFor(last);
        Container attnList = child("attentions", new Container(dtype));
        Container resList = child("resnets", new Container(dtype));
        this.resnet0 = resList.append(resnet(config, c, dtype));
        this.attention = attnList.append(new Transformer2DModel(heads, c / heads, c,
                config.transformerLayersPerBlock().get(last), config.crossAttentionDim().get(last),
                config.normNumGroups(), config.useLinearProjection(), false, config.upcastAttention(), dtype));
        this.resnet1 = resList.append(resnet(config, c, dtype));
    }

    private static ResnetBlock2D resnet(UNetConfig config, long c, DType dtype) {
        return new ResnetBlock2D(c, c, config.timeEmbedDim(), config.normNumGroups(), config.normEps(),
                config.midBlockScaleFactor(), config.actFn(), dtype);
    }

    Tensor forward(Tensor x, Tensor temb, Tensor context) {
        x = resnet0.forward(x, temb);
        x = attention.forward(x, context);
        return resnet1.forward(x, temb);
    }
}
