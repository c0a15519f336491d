package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * diffusers' {@code ResnetBlock2D} (the "default" time-embedding norm, used by every SD UNet
 * and VAE): {@code norm1 → silu → conv1 (+ time_emb_proj(silu(temb))) → norm2 → silu → conv2},
 * plus an optional 1×1 {@code conv_shortcut} when the channel count changes. Shared by the
 * UNet and the VAE, whose checkpoints use the same key names.
 */
public final class ResnetBlock2D extends Module {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final double outputScaleFactor;
    private final String act;

    /**
     * @param tembChannels time-embedding width, or 0 for none (the VAE)
     * @param groups       norm_num_groups
     * @param act          activation name (config act_fn, "silu" for SD)
     */
    public ResnetBlock2D(long in, long out, long tembChannels, long groups, double eps,
                         double outputScaleFactor, String act, DType dtype) {
        super(dtype);
        this.norm1 = child("norm1", new GroupNorm(groups, in, eps, dtype));
        this.conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1, dtype));
        this.timeEmbProj = tembChannels > 0 ? child("time_emb_proj", new Linear(tembChannels, out, true, dtype)) : null;
        this.norm2 = child("norm2", new GroupNorm(groups, out, eps, dtype));
        this.conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1, dtype));
        this.convShortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0, dtype)) : null;
        this.outputScaleFactor = outputScaleFactor;
        this.act = act;
    }

    /**
     * @param temb (B, tembChannels) or null when the block has no time embedding; the block's
     *             intermediates are released when it returns ({@link Scopes#keep})
     */
    public Tensor forward(Tensor x, Tensor temb) {
        return Scopes.keep(() -> compute(x, temb));
    }

    private Tensor compute(Tensor x, Tensor temb) {
        Tensor t = timeEmbProj != null && temb != null
                ? timeEmbProj.forward(F.activation(act, temb)).unsqueeze(-1).unsqueeze(-1) // (B, C) -> (B, C, 1, 1)
                : null;
        Tensor h = Scopes.chain(x, norm1::forward, this::activation, conv1::forward, a -> t == null ? a : a.add(t),
                norm2::forward, this::activation, conv2::forward);
        Tensor skip = convShortcut != null ? convShortcut.forward(x) : x;
        Tensor out = skip.add(h);
        return outputScaleFactor == 1.0 ? out : F.mul(out, 1.0 / outputScaleFactor);
    }

    private Tensor activation(Tensor x) {
        return F.activation(act, x);
    }
}
