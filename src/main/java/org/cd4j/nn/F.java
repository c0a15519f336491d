package org.cd4j.nn;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.List;

/**
 * Functional operations, named as in {@code torch.nn.functional}, so model code reads like the
 * Python it mirrors. Thin wrappers that hide libtorch's optional and array-ref types.
 */
public final class F {
    static {
        Torch.init();
    }

    private F() {}

    static TensorOptional opt(Tensor t) {
        return t == null ? new TensorOptional() : new TensorOptional(t);
    }

    /** {@code x @ w.T + b}; {@code b} may be null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        Tensor split = SplitGemm.linear(x, w, b); // float32 inference on every core, where worth it
        return split != null ? split : torch.linear(x, w, opt(b));
    }

    /** 2-D convolution with square stride and padding; {@code b} may be null. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, long stride, long padding) {
        return torch.conv2d(x, w, opt(b), new long[]{stride, stride}, new long[]{padding, padding}, new long[]{1, 1}, 1);
    }

    /**
     * The same convolution as {@link #conv2d}, computed as one matrix product: the input's
     * {@code kernel × kernel} patches unfolded ({@code im2col}) into the columns of a
     * (in·k², B·h·w) matrix, multiplied by the weight viewed as (out, in·k²). Equal up to
     * summation order, gradients included (both steps are differentiable); faster than libtorch's
     * CPU kernel for deep layers at very small sizes (see {@code Conv2d}).
     */
    public static Tensor conv2dAsMatmul(Tensor x, Tensor w, Tensor b, long stride, long padding) {
        long batch = x.size(0), out = w.size(0), k = w.size(2);
        long h = (x.size(2) + 2 * padding - k) / stride + 1;
        long wd = (x.size(3) + 2 * padding - k) / stride + 1;
        Tensor cols = torch.im2col(x, new long[]{k, k}, new long[]{1, 1}, new long[]{padding, padding},
                new long[]{stride, stride}); // (B, in·k², h·w)
        long depth = cols.size(1);
        // one product for the whole batch: (out, in·k²) @ (in·k², B·h·w)
        Tensor flat = cols.permute(1, 0, 2).reshape(depth, batch * h * wd);
        Tensor w2 = w.reshape(out, depth);
        Tensor y = SplitGemm.mm(w2, flat);                                   // (out, B·h·w), on every core
        if (y != null) {
            if (b != null) y = y.add(b.view(out, 1));
        } else if (b != null) {
            // the bias joins the float32 accumulator, as in the convolution kernel: added after a
            // bfloat16 product, it would round the result twice
            y = torch.addmm(b.view(out, 1), w2, flat);
        } else {
            y = w2.matmul(flat);
        }
        return y.view(out, batch, h, wd).permute(1, 0, 2, 3).contiguous();  // (B, out, h, w)
    }

    /** Group normalisation over channel groups; affine parameters may be null. */
    public static Tensor groupNorm(Tensor x, long groups, Tensor w, Tensor b, double eps) {
        return torch.group_norm(x, groups, opt(w), opt(b), eps, false);
    }

    /** Layer normalisation over the last dimension. */
    public static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        long d = x.size(-1);
        return torch.layer_norm(x, new long[]{d}, opt(w), opt(b), eps, false);
    }

    public static Tensor silu(Tensor x) {
        return torch.silu(x);
    }

    /** Exact (erf) GELU. */
    public static Tensor gelu(Tensor x) {
        return torch.gelu(x);
    }

    /** GELU with the tanh approximation. */
    public static Tensor geluTanh(Tensor x) {
        return torch.gelu(x, "tanh");
    }

    /** CLIP's {@code x * sigmoid(1.702 x)}. */
    public static Tensor quickGelu(Tensor x) {
        return x.mul(torch.sigmoid(x.mul(new Scalar(1.702))));
    }

    /** Applies an activation by its config name (silu/swish, gelu, gelu_pytorch_tanh, quick_gelu). */
    public static Tensor activation(String name, Tensor x) {
        switch (name) {
            case "silu": case "swish": return silu(x);
            case "gelu": return gelu(x);
            case "gelu_new": case "gelu_pytorch_tanh": return geluTanh(x);
            case "quick_gelu": return quickGelu(x);
            case "relu": return torch.relu(x);
            default: throw new IllegalArgumentException("unsupported activation '" + name + "'");
        }
    }

    public static Tensor softmax(Tensor x, long dim) {
        return torch.softmax(x, dim);
    }

    /**
     * Scaled dot-product attention {@code softmax(q k^T * scale + mask) v} over the last two
     * dimensions; {@code mask} (additive or boolean) may be null; {@code scale} NaN means
     * {@code 1/sqrt(d)}.
     */
    public static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
        DoubleOptional s = Double.isNaN(scale) ? new DoubleOptional() : new DoubleOptional(scale);
        return torch.scaled_dot_product_attention(q, k, v, opt(mask), 0.0, causal, s, false);
    }

    /** Nearest-neighbour upsampling of (B, C, H, W) to (B, C, h, w). */
    public static Tensor interpolateNearest(Tensor x, long h, long w) {
        return torch.upsample_nearest2d(x, new long[]{h, w});
    }

    public static Tensor cat(List<Tensor> ts, long dim) {
        return torch.cat(new TensorVector(ts.toArray(new Tensor[0])), dim);
    }

    public static Tensor cat(long dim, Tensor... ts) {
        return torch.cat(new TensorVector(ts), dim);
    }

    /** Mean squared error with mean reduction. */
    public static Tensor mseLoss(Tensor a, Tensor b) {
        return torch.mse_loss(a, b);
    }

    /** {@code x * s}. */
    public static Tensor mul(Tensor x, double s) {
        return x.mul(new Scalar(s));
    }

    /** {@code x + s}. */
    public static Tensor add(Tensor x, double s) {
        return x.add(new Scalar(s));
    }

    /** {@code a + b * s} in one kernel. */
    public static Tensor addScaled(Tensor a, Tensor b, double s) {
        return a.add(b, new Scalar(s));
    }

    /** Clamps every element into [lo, hi]. */
    public static Tensor clamp(Tensor x, double lo, double hi) {
        return torch.clamp(x, new org.bytedeco.pytorch.ScalarOptional(new Scalar(lo)),
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(hi)));
    }
}
