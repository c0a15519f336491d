package org.cd4j.concept.compress;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A truncated SVD of one weight change, the core of reference §1.8: {@code ΔW = U S Vᵀ} in
 * float64, {@code u = U[:, :r]·diag(S[:r])} (out, r) and {@code v = Vᵀ[:r]} (r, in), stored as
 * float32 like the reference's factors. Float64 keeps the small singular values exact enough
 * that the rank choice and the error report do not depend on rounding.
 *
 * @param u             (out, r) float32
 * @param v             (r, in) float32
 * @param singular      all singular values of ΔW, decreasing
 * @param changeNorm    {@code ‖ΔW‖_F}
 * @param relativeError {@code ‖ΔW − u v‖_F / ‖ΔW‖_F} with the float32 factors (0 when ΔW = 0)
 */
public record LowRank(Tensor u, Tensor v, double[] singular, double changeNorm, double relativeError) {
    /** The rank kept. */
    public int rank() {
        return (int) u.size(1);
    }

    /**
     * Factorises {@code change} keeping the rank {@code criterion} selects.
     *
     * @param change ΔW (out, in), any floating dtype
     * @param name   the parameter name, for messages
     */
    public static LowRank of(Tensor change, RankCriterion criterion, String name) {
        Tensor u, v;
        double[] s;
        double norm, error;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor d = change.to(torch.ScalarType.Double).contiguous(); // (out, in)
            T_TensorTensorTensor_T usv = torch.linalg_svd(d, false, new StringViewOptional()); // reduced: k = min(out, in)
            Tensor sv = usv.get1(); // (k,)
            s = doubles(sv);
            int r = criterion.select(s, name);
            u = usv.get0().narrow(1, 0, r).mul(sv.narrow(0, 0, r).unsqueeze(0)) // (out, r) = U[:, :r]·diag(S[:r])
                    .to(torch.ScalarType.Float).contiguous();
            v = usv.get2().narrow(0, 0, r).to(torch.ScalarType.Float).contiguous(); // (r, in) = Vᵀ[:r]
            norm = d.norm().item_double();
            Tensor product = u.to(torch.ScalarType.Double).matmul(v.to(torch.ScalarType.Double)); // (out, in)
            error = norm == 0 ? 0 : d.sub(product).norm().item_double() / norm;
            u.retainReference();
            v.retainReference();
        }
        return new LowRank(u, v, s, norm, error);
    }

    /** A 1-d tensor's values as doubles. */
    static double[] doubles(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Double).contiguous();
        double[] out = new double[(int) c.numel()];
        if (out.length > 0) new DoublePointer(c.data_ptr_double()).capacity(out.length).get(out);
        return out;
    }
}
