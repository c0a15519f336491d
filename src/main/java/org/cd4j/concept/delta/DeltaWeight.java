package org.cd4j.concept.delta;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.Tensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One UNet weight of a {@link ConceptDelta}: either the fine-tuned absolute weight {@code W}
 * ({@link Kind#FULL}, what every reference format stores, reference §0.1) or the low-rank
 * factors of its change, {@code ΔW = u @ v} with {@code u} (out, r) and {@code v} (r, in)
 * ({@link Kind#LOW_RANK}, the compressed formats), so that {@code W = W0 + u @ v}.
 *
 * <p>Tensors are kept exactly as read (dtype and values), so writing them back is bit-exact.
 * They are CPU tensors owned by this object; callers must not modify them.
 */
public final class DeltaWeight {
    /** How the weight is stored. */
    public enum Kind {
        /** The absolute fine-tuned weight {@code W}. */
        FULL,
        /** Factors {@code u}, {@code v} of {@code W − W0}. */
        LOW_RANK
    }

    private final Kind kind;
    private final Tensor full;
    private final Tensor u;
    private final Tensor v;

    private DeltaWeight(Kind kind, Tensor full, Tensor u, Tensor v) {
        this.kind = kind;
        this.full = full;
        this.u = u;
        this.v = v;
    }

    /** The absolute weight {@code W} (any shape, any floating dtype). */
    public static DeltaWeight full(Tensor w) {
        checkFloating(w, "weight");
        return new DeltaWeight(Kind.FULL, w, null, null);
    }

    /**
     * The change {@code u @ v} of a 2-d weight.
     *
     * @param u (out, r)
     * @param v (r, in); {@code r} may be 0 (the reference compressor keeps no singular value
     *          when the first one alone exceeds its ratio), which means no change
     */
    public static DeltaWeight lowRank(Tensor u, Tensor v) {
        checkFloating(u, "factor u");
        checkFloating(v, "factor v");
        if (u.dim() != 2 || v.dim() != 2 || u.size(1) != v.size(0)) {
            throw new IllegalArgumentException("low-rank factors must be u (out, r) and v (r, in), got u "
                    + Arrays.toString(Tensors.shape(u)) + " and v " + Arrays.toString(Tensors.shape(v)));
        }
        return new DeltaWeight(Kind.LOW_RANK, null, u, v);
    }

    private static void checkFloating(Tensor t, String what) {
        Objects.requireNonNull(t, what);
        if (!Tensors.dtype(t).isFloatingPoint()) {
            throw new IllegalArgumentException(what + " must be floating point, got " + Tensors.dtype(t));
        }
    }

    public Kind kind() {
        return kind;
    }

    public boolean isLowRank() {
        return kind == Kind.LOW_RANK;
    }

    /** The absolute weight of a {@link Kind#FULL} entry. */
    public Tensor full() {
        if (kind != Kind.FULL) throw new IllegalStateException("a low-rank weight has no stored absolute value");
        return full;
    }

    /** Factor {@code u} (out, r) of a {@link Kind#LOW_RANK} entry. */
    public Tensor u() {
        if (kind != Kind.LOW_RANK) throw new IllegalStateException("a full weight has no factors");
        return u;
    }

    /** Factor {@code v} (r, in) of a {@link Kind#LOW_RANK} entry. */
    public Tensor v() {
        if (kind != Kind.LOW_RANK) throw new IllegalStateException("a full weight has no factors");
        return v;
    }

    /** The rank {@code r} of a low-rank entry. */
    public long rank() {
        return u().size(1);
    }

    /** The shape of the weight this entry sets: W's shape, or (out, in) for factors. */
    public long[] shape() {
        return kind == Kind.FULL ? Tensors.shape(full) : new long[]{u.size(0), v.size(1)};
    }

    /** Number of stored elements. */
    public long storedElements() {
        return kind == Kind.FULL ? full.numel() : u.numel() + v.numel();
    }

    /**
     * The weight with this entry applied at {@code strength} to {@code w0}, in {@code w0}'s dtype:
     * {@code W0 + s·(W − W0)} or {@code W0 + s·u@v}, computed in float32. At strength 1 a full
     * entry is {@code W} itself, bit for bit (the arithmetic would round), as the reference
     * loaders copy it.
     */
    public Tensor applied(Tensor w0, double strength) {
        try (NoGradGuard g = new NoGradGuard()) {
            if (kind == Kind.FULL && strength == 1.0) return full.to(w0.scalar_type()).clone();
            Tensor base = w0.to(torch.ScalarType.Float);
            Tensor change = difference(base);
            return base.add(change, new org.bytedeco.pytorch.Scalar(strength)).to(w0.scalar_type());
        }
    }

    /** {@code ΔW} against {@code w0} as float32: {@code W − W0} or {@code u @ v}. */
    public Tensor difference(Tensor w0) {
        try (NoGradGuard g = new NoGradGuard()) {
            if (kind == Kind.FULL) return full.to(torch.ScalarType.Float).sub(w0.to(torch.ScalarType.Float));
            return u.to(torch.ScalarType.Float).matmul(v.to(torch.ScalarType.Float));
        }
    }

    /** This entry as an absolute float32 weight {@code W0 + u@v} (a full entry is returned as is). */
    public DeltaWeight expanded(Tensor w0) {
        if (kind == Kind.FULL) return this;
        try (NoGradGuard g = new NoGradGuard()) {
            return full(w0.to(torch.ScalarType.Float).add(difference(w0)));
        }
    }

    /** Bit-for-bit equality of kind, dtypes, shapes and values. */
    public boolean contentEquals(DeltaWeight o) {
        if (o == null || kind != o.kind) return false;
        return kind == Kind.FULL ? sameTensor(full, o.full) : sameTensor(u, o.u) && sameTensor(v, o.v);
    }

    /** Whether two tensors have the same dtype, shape and bytes. */
    static boolean sameTensor(Tensor a, Tensor b) {
        return Tensors.dtype(a) == Tensors.dtype(b) && Arrays.equals(Tensors.shape(a), Tensors.shape(b))
                && Arrays.equals(Tensors.bytes(a), Tensors.bytes(b));
    }

    @Override
    public String toString() {
        return kind == Kind.FULL
                ? "full " + Tensors.dtype(full) + Arrays.toString(shape())
                : "low-rank r=" + rank() + " " + Tensors.dtype(u) + Arrays.toString(shape());
    }
}
