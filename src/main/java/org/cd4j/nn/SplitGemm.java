package org.cd4j.nn;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Locale;
import java.util.Map;

/**
 * Float32 inference matrix products on every core: the product is cut into row blocks, one per
 * libtorch thread, each computed by single-threaded BLAS straight into its rows of the output
 * ({@code mm_out}), the last on the calling thread and the others on {@link GemmWorkers}.
 *
 * <p>libtorch keeps OpenBLAS to one thread (see {@link Torch}), so without this every projection
 * and every convolution computed as a product uses one core of two. Measured on this 2-core machine
 * (products alone, GFLOP/s one block → two): 1280×5120 @ 5120×64: 108 → 220; 1280×11520 @
 * 11520×16: 48 → 109; 320×320 @ 320×1024: 137 → 203.
 *
 * <p>Only where nothing needs a gradient (the parts are written with {@code mm_out}, which autograd
 * does not record), autocast is off (it must keep casting products), the tensors are float32 on the
 * CPU, libtorch has two or more threads, and the product has at least {@value #MIN_FLOP} FLOP, so
 * that the hand-over (tens of µs) is small beside it. Each output element is computed as in the
 * unsplit product; results equal {@code torch.linear}/{@code matmul} within 1e-6 relative
 * ({@code SplitGemmTest}).
 *
 * <p>It also needs libtorch's OpenMP threads to stop spinning soon after each parallel kernel:
 * libgomp's default is to spin for 300 000 rounds (milliseconds), during which a spinning thread
 * holds the core a helper needs, and the split pass was then slower than the unsplit one (SD-1.5
 * 32×32 forward, 1.9–2.1 s against 1.6–1.8 s). libgomp reads its setting once, when libtorch loads,
 * from the environment, so the split is on only when the process was started with
 * {@code GOMP_SPINCOUNT} at most {@value #MAX_SPINCOUNT} or {@code OMP_WAIT_POLICY=passive}; the
 * {@code cd4j} launcher and the test configuration set {@code GOMP_SPINCOUNT=30000}.
 */
public final class SplitGemm {
    /** Smallest product worth splitting: 2·10⁷ FLOP take about 0.15 ms on one core here. */
    static final double MIN_FLOP = 2e7;
    /** Linear maps with at least this many rows split their rows; fewer rows split the output features. */
    static final long MIN_ROW_SPLIT = 256;

    /** Largest {@code GOMP_SPINCOUNT} under which helpers get their core (10 000, 30 000 and 100 000 were measured). */
    static final long MAX_SPINCOUNT = 30_000;

    private static final boolean ENABLED = openMpYieldsSoon(System.getenv());

    private SplitGemm() {}

    /** Whether products are split over cores in this process (see the class comment). */
    public static boolean enabled() {
        return ENABLED;
    }

    /**
     * Whether libgomp, configured by this environment, stops spinning soon enough for the helpers:
     * {@code OMP_WAIT_POLICY=passive}, or {@code GOMP_SPINCOUNT} (a count, optionally with libgomp's
     * suffix k, M, G or T) at most {@value #MAX_SPINCOUNT}.
     */
    static boolean openMpYieldsSoon(Map<String, String> env) {
        String policy = env.get("OMP_WAIT_POLICY");
        if (policy != null && policy.trim().equalsIgnoreCase("passive")) return true;
        if (policy != null && policy.trim().equalsIgnoreCase("active")) return false;
        String count = env.get("GOMP_SPINCOUNT");
        if (count == null) return false;
        String c = count.trim().toLowerCase(Locale.ROOT);
        if (c.isEmpty()) return false;
        long scale = switch (c.charAt(c.length() - 1)) {
            case 'k' -> 1_000L;
            case 'm' -> 1_000_000L;
            case 'g' -> 1_000_000_000L;
            case 't' -> 1_000_000_000_000L;
            default -> 1L;
        };
        String digits = scale == 1 ? c : c.substring(0, c.length() - 1);
        try {
            return Long.parseLong(digits) * scale <= MAX_SPINCOUNT;
        } catch (NumberFormatException e) {
            return false; // "infinite" or unreadable: libgomp spins
        }
    }

    /** The number of parts a product of {@code flop} on these operands would be split into; 1 = unsplit. */
    static int parts(double flop, Tensor... operands) {
        if (!ENABLED || flop < MIN_FLOP) return 1;
        for (Tensor t : operands) {
            if (t != null && !isCpuFloat(t)) return 1;
        }
        if (torch.is_autocast_enabled(torch.DeviceType.CPU)) return 1;
        if (GradMode.is_enabled()) {
            for (Tensor t : operands) {
                if (t != null && t.requires_grad()) return 1;
            }
        }
        return Math.max(1, torch.get_num_threads());
    }

    private static boolean isCpuFloat(Tensor t) {
        // JavaCPP enums: compare values, not references
        return t.scalar_type().value == torch.ScalarType.Float.value && t.is_cpu()
                && t.layout().value == torch.Layout.Strided.value;
    }

    /**
     * {@code x @ w.T + b} for {@code x (…, in)}, {@code w (out, in)}, {@code b (out)} or null, split
     * over cores when {@link #parts} allows; null when it does not (the caller computes unsplit).
     */
    static Tensor linear(Tensor x, Tensor w, Tensor b) {
        if (x.dim() < 2 || w.dim() != 2) return null;
        long in = w.size(1), out = w.size(0), rows = x.numel() / in;
        int n = parts(2.0 * rows * in * out, x, w, b);
        if (n < 2 || !GemmWorkers.tryAcquire(n)) return null;
        try {
            Tensor flat = x.reshape(rows, in); // (rows, in)
            Tensor y;
            if (rows >= MIN_ROW_SPLIT) {
                y = torch.empty(rows, out); // float32 on the CPU, as parts() requires
                splitRows(y, flat, w.t(), n); // (rows, out) = (rows, in) @ (in, out), by row blocks
            } else {
                // few rows: split the output features instead, as (out, rows) = w @ x.T by row blocks
                Tensor yt = torch.empty(out, rows);
                splitRows(yt, w, flat.t(), n);
                y = yt.t().contiguous(); // (rows, out)
            }
            if (b != null) y.add_(b);
            long[] shape = x.sizes().vec().get();
            shape[shape.length - 1] = out;
            return y.view(shape); // (…, out)
        } finally {
            GemmWorkers.release();
        }
    }

    /** {@code a (n, k) @ m (k, p)} split over cores when {@link #parts} allows; null when it does not. */
    static Tensor mm(Tensor a, Tensor m) {
        int n = parts(2.0 * a.size(0) * a.size(1) * m.size(1), a, m);
        if (n < 2 || !GemmWorkers.tryAcquire(n)) return null;
        try {
            Tensor y = torch.empty(a.size(0), m.size(1));
            splitRows(y, a, m, n);
            return y;
        } finally {
            GemmWorkers.release();
        }
    }

    /** {@code y = a @ m}, rows of {@code a} and {@code y} cut into {@code n} contiguous blocks. */
    private static void splitRows(Tensor y, Tensor a, Tensor m, int n) {
        long rows = a.size(0);
        int parts = (int) Math.min(n, rows);
        Runnable[] jobs = new Runnable[parts];
        for (int i = 0; i < parts; i++) {
            long start = rows * i / parts, len = rows * (i + 1) / parts - start;
            Tensor yi = y.narrow(0, start, len), ai = a.narrow(0, start, len);
            jobs[i] = () -> torch.mm_out(yi, ai, m);
        }
        GemmWorkers.run(jobs);
    }
}
