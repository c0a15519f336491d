package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Downsample2D;
import org.cd4j.nn.Module;
import org.cd4j.nn.ResnetBlock2D;
import org.cd4j.nn.Scopes;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * diffusers' {@code DownEncoderBlock2D} ({@code encoder.down_blocks.i}): {@code layers_per_block}
 * resnets, then (except on the last level) a stride-2 convolution with padding 0 that pads the
 * right and bottom by one, so H halves as {@code (H + 1 - 3) / 2 + 1}.
 */
final class VaeDownBlock extends Module {
    private final VaeModuleList<ResnetBlock2D> resnets;
    private final Downsample2D downsampler;

    VaeDownBlock(long in, long out, boolean addDownsample, VaeConfig c, DType dtype) {
        super(dtype);
        this.resnets = child("resnets", new VaeModuleList<>(dtype));
        for (int i = 0; i < c.layersPerBlock(); i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? in : out, out, 0, c.normNumGroups(), AutoencoderKL.EPS, 1.0, c.actFn(), dtype));
        }
        if (addDownsample) {
            VaeModuleList<Downsample2D> ds = child("downsamplers", new VaeModuleList<>(dtype));
            this.downsampler = ds.add(new Downsample2D(out, out, 0, dtype));
        } else {
            this.downsampler = null;
        }
    }

    /** @param x (B, in, H, W); returns (B, out, H', W') */
    Tensor forward(Tensor x) {
        List<UnaryOperator<Tensor>> steps = new ArrayList<>();
        for (ResnetBlock2D r : resnets) steps.add(h -> r.forward(h, null));
        if (downsampler != null) steps.add(downsampler::forward);
        return Scopes.chain(x, steps); // each resnet's output freed once the next has used it
    }
}
