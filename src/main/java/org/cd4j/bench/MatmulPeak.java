package org.cd4j.bench;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.Rng;

import java.util.Locale;

/**
 * The machine's practical peak: the speed of one large square matrix product ({@code n × n} by
 * {@code n × n}, {@code 2n³} FLOP) in a dtype, the yardstick the other benchmarks' share of
 * peak is measured against. On the project's machine fp32 reaches ~208 GFLOP/s and bf16 ~382.
 */
public final class MatmulPeak {
    /** The matrix side of {@link #measure}: large enough that the product runs at full speed. */
    public static final int DEFAULT_SIZE = 2048;

    private MatmulPeak() {}

    /** Times {@code n × n} products in {@code dtype}. */
    public static BenchResult run(Device device, DType dtype, int n, int warmup, int repeats) {
        Rng rng = Rng.seeded(0);
        Tensor a = device.put(rng.randn(n, n)).to(dtype.scalarType);
        Tensor b = device.put(rng.randn(n, n)).to(dtype.scalarType);
        double[] secs;
        try (NoGradGuard g = new NoGradGuard()) {
            secs = Repeats.time(device, warmup, repeats, () -> a.mm(b));
        }
        return new BenchResult(new BenchLabel("matmul", null, 0, n, name(dtype), device.toString(), null), secs, 2.0 * n * n * n / 1e9, Double.NaN,
                Rss.peakBytes() / (double) (1L << 30));
    }

    /** The peak GFLOP/s in {@code dtype}: the median of 5 products of side {@value #DEFAULT_SIZE}. */
    public static double measure(Device device, DType dtype) {
        return run(device, dtype, DEFAULT_SIZE, 2, 5).gflopsPerSecond();
    }

    /** The dtype as benchmark lines name it: fp32, bf16, fp16. */
    static String name(DType d) {
        return switch (d) {
            case F32 -> "fp32";
            case BF16 -> "bf16";
            case F16 -> "fp16";
            default -> d.name().toLowerCase(Locale.ROOT);
        };
    }
}
