package org.cd4j.concept.merge;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Locale;

/**
 * The closed-form constrained least squares of the paper's Eq. 4 (reference §1.9 step 4), for
 * one set of regularisation features {@code C_reg} (N, d) and target features {@code C} (M, d),
 * solved in float64:
 * <pre>
 *   min_W ‖(W − W0) C_regᵀ‖_F   subject to   W Cᵀ = Vᵀ
 *   Ŵ = W0 + (Vᵀ − W0 Cᵀ) (D Cᵀ)⁻¹ D,   D = C (C_regᵀ C_reg)⁻¹
 * </pre>
 * {@code P = (D Cᵀ)⁻¹ D} (M, d) depends on the features only, so it is computed once
 * ({@link #prepare}) and every layer costs two products ({@link #solve}); the reference recomputes
 * the factorisation per layer, with the same result.
 *
 * <p>Before solving, {@link #prepare} refuses systems whose answer would be noise or NaN: fewer
 * regularisation rows than feature dimensions, a rank-deficient or ill-conditioned
 * {@code C_regᵀC_reg}, more targets than dimensions, or an ill-conditioned {@code D Cᵀ}
 * (near-duplicate target rows, e.g. two concepts whose token embeddings and category coincide).
 */
public final class ClosedFormMerge {
    /**
     * Condition-number limits: above them the float64 solution loses more than about
     * {@code 1e-16 × limit} of relative accuracy (and the float32 features carry ~1e-7 noise).
     *
     * @param regularization limit for {@code cond(C_regᵀ C_reg)}
     * @param targets        limit for {@code cond(D Cᵀ)}
     */
    public record Limits(double regularization, double targets) {
        /** Defaults that leave at least ~1e-4 relative accuracy in float64. */
        public static final Limits DEFAULT = new Limits(1e12, 1e12);
    }

    private final Tensor gram; // (d, d) = C_regᵀ C_reg
    private final Tensor targets; // (M, d)
    private final Tensor projector; // (M, d) = (D Cᵀ)⁻¹ D
    private final double regCondition, targetCondition;

    private ClosedFormMerge(Tensor gram, Tensor targets, Tensor projector, double regCondition, double targetCondition) {
        this.gram = gram;
        this.targets = targets;
        this.projector = projector;
        this.regCondition = regCondition;
        this.targetCondition = targetCondition;
    }

    /**
     * Checks the system and factorises it.
     *
     * @param reg     C_reg (N, d), any floating dtype (used in float64)
     * @param targets C (M, d), duplicate rows already removed
     * @throws IllConditionedMergeException when the system cannot be solved reliably (the message says why)
     */
    public static ClosedFormMerge prepare(Tensor reg, Tensor targets, Limits limits) {
        long n = reg.size(0), d = reg.size(1), m = targets.size(0);
        if (targets.size(1) != d) {
            throw new IllegalArgumentException("target features are " + targets.size(1) + " wide but regularisation features " + d);
        }
        if (n < d) {
            throw new IllConditionedMergeException(String.format(Locale.ROOT, "too few regularisation features: %d token rows"
                    + " for %d-dimensional text features; C_reg^T C_reg is singular. Give more (or longer) captions: the"
                    + " reference uses 200 captions", n, d));
        }
        if (m > d) {
            throw new IllConditionedMergeException("too many target features: " + m + " rows for " + d
                    + "-dimensional text features cannot all be met exactly; merge fewer concepts");
        }
        return LargeStack.call(() -> factorise(reg, targets, limits));
    }

    private static ClosedFormMerge factorise(Tensor reg, Tensor targets, Limits limits) {
        long n = reg.size(0), d = reg.size(1), m = targets.size(0);
        Tensor c, t, p;
        double regCond, tgtCond;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor k = reg.to(torch.ScalarType.Double);
            t = targets.to(torch.ScalarType.Double).contiguous();
            c = k.t().matmul(k); // (d, d) = C_regᵀ C_reg, symmetric positive definite when well posed
            regCond = condition(c);
            if (!(regCond <= limits.regularization())) {
                throw new IllConditionedMergeException(String.format(Locale.ROOT, "the regularisation features are degenerate:"
                        + " cond(C_reg^T C_reg) = %.3g exceeds %.3g (%d token rows of %d dimensions); use more varied captions",
                        regCond, limits.regularization(), n, d));
            }
            // Both systems are symmetric positive definite, so Cholesky (the reference uses LU in float32;
            // in float64 the results agree to rounding, and LU crashes OpenBLAS here, see LargeStack).
            Tensor dm = torch.cholesky_solve(t.t(), torch.linalg_cholesky(c)).t(); // (M, d) = C (C_regᵀC_reg)⁻¹
            Tensor gram = dm.matmul(t.t()); // (M, M) = D Cᵀ = C (C_regᵀC_reg)⁻¹ Cᵀ
            gram = gram.add(gram.t()).mul(new org.bytedeco.pytorch.Scalar(0.5)); // exactly symmetric
            tgtCond = condition(gram);
            if (!(tgtCond <= limits.targets())) {
                throw new IllConditionedMergeException(String.format(Locale.ROOT, "the concepts' target features are (nearly)"
                        + " linearly dependent: cond(D C^T) = %.3g exceeds %.3g for %d target rows. Are two concepts duplicates"
                        + " (same token embedding and category)? Merge distinct concepts, or give them distinct categories",
                        tgtCond, limits.targets(), m));
            }
            p = torch.cholesky_solve(dm, torch.linalg_cholesky(gram)).contiguous(); // (M, d) = (D Cᵀ)⁻¹ D
            c.retainReference();
            t.retainReference();
            p.retainReference();
        }
        return new ClosedFormMerge(c, t, p, regCond, tgtCond);
    }

    /** cond₂ of a symmetric positive semi-definite matrix, {@code λmax/λmin}; infinite when singular. */
    static double condition(Tensor spd) {
        Tensor ev = torch.linalg_eigvalsh(spd); // ascending
        double lo = ev.select(0, 0).item_double(), hi = ev.select(0, ev.size(0) - 1).item_double();
        if (!(hi > 0)) return Double.POSITIVE_INFINITY;
        return lo <= 0 ? Double.POSITIVE_INFINITY : hi / lo;
    }

    /**
     * Ŵ for one layer.
     *
     * @param w0     the base weight (out, d)
     * @param values the target values V (M, out): each target row's fine-tuned output {@code W_k c}
     * @return (out, d) float64
     */
    public Tensor solve(Tensor w0, Tensor values) {
        Tensor w;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor base = w0.to(torch.ScalarType.Double);
            Tensor residual = values.to(torch.ScalarType.Double).t().sub(base.matmul(targets.t())); // (out, M) = Vᵀ − W0 Cᵀ
            w = base.add(residual.matmul(projector)); // (out, d)
            w.retainReference();
        }
        return w;
    }

    /**
     * {@code ‖X C_regᵀ‖_F} for a weight or weight change X (out, d), computed as
     * {@code sqrt(Σ (X G) ∘ X)} with {@code G = C_regᵀC_reg}, without the (out, N) product.
     */
    public double regNorm(Tensor x) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor xd = x.to(torch.ScalarType.Double);
            return Math.sqrt(Math.max(0, xd.matmul(gram).mul(xd).sum().item_double()));
        }
    }

    /** {@code ‖W Cᵀ − Vᵀ‖_F / ‖V‖_F}: how exactly {@code w} (out, d) meets the constraints. */
    public double constraintError(Tensor w, Tensor values) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor v = values.to(torch.ScalarType.Double); // (M, out)
            double n = v.norm().item_double();
            double e = w.to(torch.ScalarType.Double).matmul(targets.t()).sub(v.t()).norm().item_double();
            return n == 0 ? e : e / n;
        }
    }

    /** The target features C (M, d) float64. */
    public Tensor targets() {
        return targets;
    }

    /** {@code cond(C_regᵀ C_reg)}. */
    public double regularizationCondition() {
        return regCondition;
    }

    /** {@code cond(D Cᵀ)}. */
    public double targetCondition() {
        return targetCondition;
    }
}
