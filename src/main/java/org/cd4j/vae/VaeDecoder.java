package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Conv2d;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.GroupNorm;
import org.cd4j.nn.Module;
import org.cd4j.nn.Scopes;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * diffusers' VAE {@code Decoder} ({@code decoder}): {@code conv_in} to the deepest channel count,
 * the mid block, one up block per level walking {@code block_out_channels} in reverse
 * (upsampling on all but the last), then GroupNorm, SiLU and {@code conv_out}.
 */
final class VaeDecoder extends Module {
    private final Conv2d convIn;
    private final VaeMidBlock midBlock;
    private final VaeModuleList<VaeUpBlock> upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    VaeDecoder(VaeConfig c, DType dtype) {
        super(dtype);
        List<Integer> ch = c.blockOutChannels();
        int n = ch.size();
        long deepest = ch.get(n - 1);
        this.convIn = child("conv_in", new Conv2d(c.latentChannels(), deepest, 3, 1, 1, dtype));
        this.midBlock = child("mid_block", new VaeMidBlock(deepest, c, dtype));
        this.upBlocks = child("up_blocks", new VaeModuleList<>(dtype));
        long out = deepest;
        for (int i = 0; i < n; i++) {
            long in = out;
            out = ch.get(n - 1 - i); // reversed(block_out_channels)[i]
            upBlocks.add(new VaeUpBlock(in, out, i < n - 1, c, dtype));
        }
        this.convNormOut = child("conv_norm_out", new GroupNorm(c.normNumGroups(), ch.get(0), AutoencoderKL.EPS, dtype));
        this.convOut = child("conv_out", new Conv2d(ch.get(0), c.outChannels(), 3, 1, 1, dtype));
    }

    /** @param z (B, latent_channels, h, w) after post_quant_conv; returns (B, out_channels, h*f, w*f) */
    Tensor forward(Tensor z) {
        // A chain: each block's output is freed once the next has used it (Scopes).
        List<UnaryOperator<Tensor>> steps = new ArrayList<>(List.of(convIn::forward, midBlock::forward));
        for (VaeUpBlock u : upBlocks) steps.add(u::forward);
        // diffusers' conv_act here is always nn.SiLU, whatever act_fn says.
        steps.addAll(List.of(convNormOut::forward, F::silu, convOut::forward));
        return Scopes.chain(z, steps);
    }
}
