package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** {@code torch.nn.Conv2d} with square kernel, stride and padding, with bias. */
public final class Conv2d extends Module {
    public final long in;
    public final long out;
    public final long kernel;
    public final long stride;
    public final long padding;
    private final Tensor weight;
    private final Tensor bias;

    public Conv2d(long in, long out, long kernel, long stride, long padding, DType dtype) {
        super(dtype);
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = param("weight", out, in, kernel, kernel);
        this.bias = param("bias", out);
    }

    public Conv2d(long in, long out, long kernel, long stride, long padding) {
        this(in, out, kernel, stride, padding, DType.F32);
    }

    /**
     * Output pixels per picture up to which a deep float32 convolution on the CPU runs as
     * {@link F#conv2dAsMatmul}: libtorch's oneDNN kernel is slow at SD's 8×8 and 4×4 levels.
     * Measured on this project's 2-core AVX-512 machine, 2 threads (GFLOP/s, oneDNN → matrix
     * product): 1280→1280 at 8×8 49 → 90, 2560→1280 at 8×8 51 → 79, 2560→1280 at 4×4 18 → 40,
     * 1280→1280 at 4×4 52 → 55; but 640→1280 at 8×8 111 → 68 and every 16×16 case favour oneDNN.
     * In bfloat16 the gap is wider (eighth session, SD-1.5 32×32 forward, {@code bench --breakdown}):
     * 1280→1280 at 8×8 131 → 567, 2560→1280 at 8×8 90 → 602, 1280→1280 at 4×4 50 → 244,
     * 2560→1280 at 4×4 25 → 244; float16, for GPUs, keeps the kernel.
     */
    static final long MATMUL_MAX_PIXELS = 64;
    /** Inputs per output value ({@code in · kernel²}) from which the matrix product wins (see {@link #MATMUL_MAX_PIXELS}). */
    static final long MATMUL_MIN_DEPTH = 8192;

    public Tensor forward(Tensor x) {
        long t0 = OpProfile.begin();
        boolean mm = asMatmul(x);
        Tensor y = mm ? F.conv2dAsMatmul(x, weight, bias, stride, padding) : F.conv2d(x, weight, bias, stride, padding);
        if (t0 != 0) {
            long b = y.size(0), h = y.size(2), w = y.size(3); // y: (B, out, h, w)
            OpProfile.end(t0, "conv" + kernel + "x" + kernel + (stride == 1 ? "" : "/s" + stride) + (mm ? "(mm)" : ""),
                    OpProfile.convShape(in, out, h, w) + (b == 1 ? "" : " b" + b), 2.0 * b * in * out * kernel * kernel * h * w);
        }
        return y;
    }

    /** Whether {@code x} goes through {@link F#conv2dAsMatmul} (deep, small, float32 or bfloat16, on the CPU). */
    boolean asMatmul(Tensor x) {
        if (kernel == 1 || in * kernel * kernel < MATMUL_MIN_DEPTH) return false;
        long h = (x.size(2) + 2 * padding - kernel) / stride + 1;
        long w = (x.size(3) + 2 * padding - kernel) / stride + 1;
        int type = x.scalar_type().value;
        return h * w <= MATMUL_MAX_PIXELS && x.is_cpu()
                && (type == torch.ScalarType.Float.value || type == torch.ScalarType.BFloat16.value);
    }
}
