package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.nn.ResnetBlock2D;
import org.cd4j.nn.Scopes;

/**
 * diffusers' {@code UNetMidBlock2D} as the VAE uses it ({@code mid_block}): resnet, attention,
 * resnet, all at the channel count of the deepest level, no time embedding.
 */
final class VaeMidBlock extends Module {
    private final VaeModuleList<ResnetBlock2D> resnets;
    private final VaeAttention attention;

    VaeMidBlock(long channels, VaeConfig c, DType dtype) {
        super(dtype);
        VaeModuleList<VaeAttention> attentions = child("attentions", new VaeModuleList<>(dtype));
        this.attention = c.midBlockAddAttention()
                ? attentions.add(new VaeAttention(channels, c.normNumGroups(), AutoencoderKL.EPS, dtype))
                : null;
        this.resnets = child("resnets", new VaeModuleList<>(dtype));
        for (int i = 0; i < 2; i++) {
            resnets.add(new ResnetBlock2D(channels, channels, 0, c.normNumGroups(), AutoencoderKL.EPS, 1.0, c.actFn(), dtype));
        }
    }

    /** @param x (B, C, H, W); returns the same shape */
    Tensor forward(Tensor x) {
        Tensor h = resnets.get(0).forward(x, null);
        return attention == null ? resnets.get(1).forward(h, null)
                : Scopes.chain(h, attention::forward, a -> resnets.get(1).forward(a, null));
    }
}
