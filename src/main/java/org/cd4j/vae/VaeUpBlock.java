package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.nn.ResnetBlock2D;
import org.cd4j.nn.Scopes;
import org.cd4j.nn.Upsample2D;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * diffusers' {@code UpDecoderBlock2D} ({@code decoder.up_blocks.i}): {@code layers_per_block + 1}
 * resnets, then (except on the last level) nearest ×2 upsampling and a 3×3 convolution.
 */
final class VaeUpBlock extends Module {
    private final VaeModuleList<ResnetBlock2D> resnets;
    private final Upsample2D upsampler;

    VaeUpBlock(long in, long out, boolean addUpsample, VaeConfig c, DType dtype) {
        super(dtype);
        this.resnets = child("resnets", new VaeModuleList<>(dtype));
        for (int i = 0; i < c.layersPerBlock() + 1; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? in : out, out, 0, c.normNumGroups(), AutoencoderKL.EPS, 1.0, c.actFn(), dtype));
        }
        if (addUpsample) {
            VaeModuleList<Upsample2D> us = child("upsamplers", new VaeModuleList<>(dtype));
            this.upsampler = us.add(new Upsample2D(out, out, dtype));
        } else {
            this.upsampler = null;
        }
    }

    /** @param x (B, in, H, W); returns (B, out, 2H, 2W), or (B, out, H, W) on the last level */
    Tensor forward(Tensor x) {
        List<UnaryOperator<Tensor>> steps = new ArrayList<>();
        for (ResnetBlock2D r : resnets) steps.add(h -> r.forward(h, null));
        if (upsampler != null) steps.add(upsampler::forward);
        return Scopes.chain(x, steps); // each resnet's output freed once the next has used it
    }
}
