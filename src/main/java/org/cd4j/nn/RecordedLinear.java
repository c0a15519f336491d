package org.cd4j.nn;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Float32 linear maps that autograd records (training), computed as a 1×1 convolution over a
 * channels-last view of the input. libtorch sends {@code torch.linear} to BLAS, which {@link Torch}
 * keeps to one thread, and {@link SplitGemm} cannot help where a gradient is needed (its parts are
 * written with {@code mm_out}, which autograd does not record). oneDNN's convolution runs forward
 * and backward on every libtorch thread and is differentiable, so the products of a training step
 * use both cores.
 *
 * <p>Measured on this 2-core machine (eighth session, forward plus input gradient with the weight
 * frozen, best of 6, ms, {@code torch.linear} → 1×1 convolution): 8192×320→320 25.4 → 13.1;
 * 8192×320→2560 217 → 132; 8192×1280→320 113 → 58; 2048×640→5120 196 → 125; 512×1280→10240
 * 196 → 140. Without gradients {@link SplitGemm} is as fast, so inference keeps it.
 *
 * <p>Only for float32 CPU tensors with autocast off (autocast's bfloat16 products already run on
 * oneDNN), two or more libtorch threads, and products of at least {@value #MIN_FLOP} FLOP. Results
 * equal {@code torch.linear} up to summation order, gradients included ({@code RecordedLinearTest}).
 */
final class RecordedLinear {
    /** Smallest product worth the detour (as {@link SplitGemm#MIN_FLOP}): smaller ones stay as they were. */
    static final double MIN_FLOP = 2e7;

    private RecordedLinear() {}

    /** {@code x @ w.T + b} as a 1×1 convolution when {@link #applies}; null when it does not. */
    static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (!applies(x, w, b)) return null;
        long in = w.size(1), out = w.size(0), rows = x.numel() / in;
        // (…, in) → (1, in, rows, 1) with channels-last strides: a view, which oneDNN reads as NHWC
        Tensor x4 = x.reshape(1, rows, 1, in).permute(0, 3, 1, 2);
        Tensor y4 = torch.conv2d(x4, w.view(out, in, 1, 1), b == null ? new TensorOptional() : new TensorOptional(b),
                new long[]{1, 1}, new long[]{0, 0}, new long[]{1, 1}, 1); // (1, out, rows, 1), channels-last
        long[] shape = x.sizes().vec().get();
        shape[shape.length - 1] = out;
        return y4.permute(0, 2, 3, 1).reshape(shape); // (…, out)
    }

    /** Whether {@link #linear} takes this product (see the class comment). */
    static boolean applies(Tensor x, Tensor w, Tensor b) {
        if (x.dim() < 2 || w.dim() != 2 || x.size(-1) != w.size(1)) return false;
        if (!isCpuFloat(x) || !isCpuFloat(w) || (b != null && !isCpuFloat(b))) return false;
        if (!GradMode.is_enabled() || !(x.requires_grad() || w.requires_grad() || (b != null && b.requires_grad()))) return false;
        if (torch.is_autocast_enabled(torch.DeviceType.CPU) || torch.get_num_threads() < 2) return false;
        double flop = 2.0 * (x.numel() / w.size(1)) * w.size(1) * w.size(0);
        return flop >= MIN_FLOP;
    }

    private static boolean isCpuFloat(Tensor t) {
        // JavaCPP enums: compare values, not references
        return t.scalar_type().value == torch.ScalarType.Float.value && t.is_cpu()
                && t.layout().value == torch.Layout.Strided.value;
    }
}
