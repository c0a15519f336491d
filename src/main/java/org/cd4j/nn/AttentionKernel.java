package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How scaled dot-product attention {@code softmax(q kᵀ · scale) v} is computed, which decides
 * whether the (B, heads, T, S) matrix of attention weights is ever held whole. At 64×64 latents
 * SD's first self-attention has T = S = 4096 tokens: the matrix is 512 MiB per image in float32
 * (8 heads), twice that while scores and probabilities coexist.
 *
 * <ul>
 *   <li>{@link Mode#FUSED}: libtorch's {@code scaled_dot_product_attention}. On the CPU it runs
 *       the flash-attention kernel for 4-D inputs with a dense last dimension and equal head
 *       widths (forward and backward work block by block and keep only a row's log-sum-exp for
 *       backward; measured: no growth of resident memory for T = 4096), otherwise its math
 *       fallback, which forms the matrix. On CUDA it picks its flash, memory-efficient or cuDNN
 *       kernels (not testable here).</li>
 *   <li>{@link Mode#SLICED}: queries in chunks sized so one chunk's (B, heads, rows, S) scores and
 *       weights fit the budget, each chunk written out as {@link Mode#FULL} (diffusers' sliced
 *       attention, but over queries). Without gradients the peak is one chunk. With gradients autograd keeps
 *       every chunk's probabilities for backward (libtorch's Java API offers no custom autograd
 *       function to recompute them), so the saved total is still one T×S matrix, but the forward
 *       never holds the scores and probabilities of all rows at once.</li>
 *   <li>{@link Mode#FULL}: the textbook formula, the whole matrix at once (diffusers'
 *       {@code AttnProcessor}, what the Python reference runs); for checking.</li>
 *   <li>{@link Mode#AUTO}: {@code FUSED} where libtorch's kernel avoids the matrix, else
 *       {@code SLICED} once the whole scores and weights would exceed the budget, else
 *       {@code FUSED}.</li>
 * </ul>
 *
 * All modes compute the same function; they differ in summation order only (within 1e-5
 * relative in float32, forward and gradients; tested).
 *
 * @param mode        how to compute
 * @param budgetBytes what {@code SLICED} and {@code AUTO} allow the scores and weights to take at
 *                    once (2 × 4 bytes per entry: both are float32 and exist together)
 */
public record AttentionKernel(Mode mode, long budgetBytes) {
    /** The computations to choose from; see {@link AttentionKernel}. */
    public enum Mode {
        AUTO, FUSED, SLICED, FULL;

        /** The flag value: auto, fused, sliced, full. */
        public String flag() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses a flag value; the exception names the accepted values. */
        public static Mode parse(String s) {
            for (Mode m : values()) if (m.flag().equals(s == null ? "" : s.trim().toLowerCase(Locale.ROOT))) return m;
            throw new IllegalArgumentException("'" + s + "' is not an attention mode (expected auto, fused, sliced or full)");
        }
    }

    /** 512 MiB: 1024 query rows of SD's 64×64 self-attention at batch 2 (4096 keys, 8 heads). */
    public static final long DEFAULT_BUDGET = 512L << 20;

    /** {@link Mode#AUTO} with the default budget. */
    public static final AttentionKernel DEFAULT = new AttentionKernel(Mode.AUTO, DEFAULT_BUDGET);

    public AttentionKernel {
        Objects.requireNonNull(mode, "mode");
        if (budgetBytes < 1) throw new IllegalArgumentException("attention budget must be positive, got " + budgetBytes);
    }

    /** {@code mode} with the default budget. */
    public static AttentionKernel of(Mode mode) {
        return new AttentionKernel(mode, DEFAULT_BUDGET);
    }

    /**
     * {@code softmax(q kᵀ · scale) v} per batch and head.
     *
     * @param q (B, heads, T, d)
     * @param k (B, heads, S, d)
     * @param v (B, heads, S, dv)
     * @return (B, heads, T, dv)
     */
    public Tensor attend(Tensor q, Tensor k, Tensor v, double scale) {
        long t0 = OpProfile.begin();
        Tensor out = compute(q, k, v, scale);
        if (t0 != 0) {
            long rows = rowsOfBatch(q), t = q.size(-2), s = k.size(-2), d = q.size(-1), dv = v.size(-1);
            OpProfile.end(t0, "attention", "T" + t + " S" + s + " rows" + rows + " d" + d,
                    2.0 * rows * t * s * (d + dv)); // q kᵀ and the weighted sum of v
        }
        return out;
    }

    private Tensor compute(Tensor q, Tensor k, Tensor v, double scale) {
        return switch (choose(q, k, v)) {
            case FUSED -> fused(q, k, v, scale);
            case FULL -> Scopes.keep(() -> full(q, k, v, scale)); // scores and weights freed on return
            case SLICED -> sliced(q, k, v, scale, chunkRows(q, k));
            case AUTO -> throw new AssertionError("choose() resolves AUTO");
        };
    }

    /**
     * libtorch's fused kernel; in float32 when {@link #upcastsForBackward} says so, with autocast
     * suspended around it (else autocast would cast the inputs straight back), the result cast
     * back to the inputs' dtype.
     */
    private static Tensor fused(Tensor q, Tensor k, Tensor v, double scale) {
        if (!upcastsForBackward(q, k, v)) return F.sdpa(q, k, v, null, false, scale);
        torch.ScalarType dtype = q.scalar_type(), f32 = torch.ScalarType.Float;
        return Autocast.suspendedOnCpu(() -> F.sdpa(q.to(f32), k.to(f32), v.to(f32), null, false, scale).to(dtype));
    }

    /**
     * Whether the fused kernel should run in float32 although the inputs are half precision: on
     * the CPU, when gradients will flow back through it. libtorch 2.10's CPU flash-attention
     * backward is 8–10× slower in bfloat16 than in float32. Measured on (2, 8, 4096, 40), forward
     * and backward, 2 threads: 9.8 s in bf16, 1.3 s upcast, 1.2 s in fp32; (2, 8, 1024, 80): 1.15 s,
     * 0.11 s and 0.09 s. Its bf16 forward alone is 2.4× faster than fp32, so inference keeps it.
     */
    static boolean upcastsForBackward(Tensor q, Tensor k, Tensor v) {
        int st = q.scalar_type().value;
        boolean half = st == torch.ScalarType.BFloat16.value || st == torch.ScalarType.Half.value;
        return half && q.is_cpu() && GradMode.is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
    }

    /** The mode {@link #attend} uses for these inputs ({@link Mode#AUTO} resolved). */
    public Mode choose(Tensor q, Tensor k, Tensor v) {
        if (mode != Mode.AUTO) return mode;
        if (fusedAvoidsMatrix(q, k, v)) return Mode.FUSED;
        return 2 * matrixBytes(q, k) > budgetBytes ? Mode.SLICED : Mode.FUSED;
    }

    /** Bytes of one whole (B, heads, T, S) matrix in float32. */
    public static long matrixBytes(Tensor q, Tensor k) {
        return Float.BYTES * rowsOfBatch(q) * q.size(-2) * k.size(-2);
    }

    /** Query rows per chunk: as many as the budget holds scores and weights for, at least one. */
    public long chunkRows(Tensor q, Tensor k) {
        long perRow = 2L * Float.BYTES * rowsOfBatch(q) * k.size(-2);
        return Math.max(1, Math.min(q.size(-2), budgetBytes / perRow));
    }

    /** B · heads: the matrices side by side. */
    private static long rowsOfBatch(Tensor q) {
        long n = 1;
        for (int i = 0; i < q.dim() - 2; i++) n *= q.size(i);
        return n;
    }

    /**
     * Whether libtorch's fused attention will not form the weight matrix: on the CPU, its
     * flash-attention kernel's conditions in libtorch 2.10 (flash enabled, 4-D inputs, dense last
     * dimension, one head width for q, k and v, a floating-point dtype); on CUDA, always (its
     * flash, memory-efficient and cuDNN kernels cover SD's shapes).
     */
    static boolean fusedAvoidsMatrix(Tensor q, Tensor k, Tensor v) {
        if (!q.is_cpu()) return true;
        if (!torch.globalContext().userEnabledFlashSDP()) return false;
        for (Tensor t : new Tensor[] {q, k, v}) {
            if (t.dim() != 4 || t.stride(-1) != 1 || t.size(-1) != q.size(-1)) return false;
            int st = t.scalar_type().value; // by value: JavaCPP returns fresh enum instances
            if (st != torch.ScalarType.Float.value && st != torch.ScalarType.Double.value
                    && st != torch.ScalarType.BFloat16.value && st != torch.ScalarType.Half.value) {
                return false;
            }
        }
        return true;
    }

    /** The textbook formula with the whole matrix; softmax in float32 whatever the inputs' dtype. */
    static Tensor full(Tensor q, Tensor k, Tensor v, double scale) {
        // Scaling q rather than the scores: one T×S matrix fewer (diffusers' baddbmm with alpha does the same).
        Tensor scores = F.mul(q, scale).matmul(k.transpose(-2, -1)); // (…, T, S)
        Tensor weights = scores.softmax(-1, new ScalarTypeOptional(torch.ScalarType.Float)).to(v.scalar_type());
        return weights.matmul(v); // (…, T, dv)
    }

    /**
     * {@link #full} on {@code rows} queries at a time. Each chunk's scores and weights are
     * released when the chunk ends (a Java handle would otherwise keep them until the caller's
     * scope closes); what autograd saves for backward stays with the graph.
     */
    static Tensor sliced(Tensor q, Tensor k, Tensor v, double scale, long rows) {
        long t = q.size(-2);
        if (rows >= t) return full(q, k, v, scale);
        List<Tensor> parts = new ArrayList<>();
        for (long start = 0; start < t; start += rows) {
            try (PointerScope chunk = new PointerScope()) {
                Tensor o = full(q.narrow(-2, start, Math.min(rows, t - start)), k, v, scale);
                o.retainReference();
                parts.add(o);
            }
        }
        Tensor out = F.cat(parts, -2);
        for (Tensor p : parts) p.releaseReference(); // cat copied them
        return out;
    }
}
