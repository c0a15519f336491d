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
 * diffusers' VAE {@code Encoder} ({@code encoder}): {@code conv_in}, one down block per level
 * (downsampling on all but the last), the mid block, then GroupNorm, SiLU and {@code conv_out}
 * to {@code 2 * latent_channels} (mean and log-variance, "double_z").
 */
final class VaeEncoder extends Module {
    private final Conv2d convIn;
    private final VaeModuleList<VaeDownBlock> downBlocks;
    private final VaeMidBlock midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    VaeEncoder(VaeConfig c, DType dtype) {
        super(dtype);
        List<Integer> ch = c.blockOutChannels();
        this.convIn = child("conv_in", new Conv2d(c.inChannels(), ch.get(0), 3, 1, 1, dtype));
        this.downBlocks = child("down_blocks", new VaeModuleList<>(dtype));
        long out = ch.get(0);
        for (int i = 0; i < ch.size(); i++) {
            long in = out;
            out = ch.get(i);
            downBlocks.add(new VaeDownBlock(in, out, i < ch.size() - 1, c, dtype));
        }
        long deepest = ch.get(ch.size() - 1);
        this.midBlock = child("mid_block", new VaeMidBlock(deepest, c, dtype));
        this.convNormOut = child("conv_norm_out", new GroupNorm(c.normNumGroups(), deepest, AutoencoderKL.EPS, dtype));
        this.convOut = child("conv_out", new Conv2d(deepest, 2L * c.latentChannels(), 3, 1, 1, dtype));
    }

    /** @param x (B, in_channels, H, W); returns (B, 2 * latent_channels, ~H/f, ~W/f) */
    Tensor forward(Tensor x) {
        // A chain: each block's output is freed once the next has used it (Scopes).
        List<UnaryOperator<Tensor>> steps = new ArrayList<>(List.of(convIn::forward));
        for (VaeDownBlock d : downBlocks) steps.add(d::forward);
        // diffusers' conv_act here is always nn.SiLU, whatever act_fn says.
        steps.addAll(List.of(midBlock::forward, convNormOut::forward, F::silu, convOut::forward));
        return Scopes.chain(x, steps);
    }
}
