package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * {@code torch.nn.utils.clip_grad_norm_}: the total 2-norm of all gradients, and scaling by
 * {@code max_norm / (norm + 1e-6)} when that is below 1. The norm is returned before clipping,
 * so a non-finite one tells the trainer to skip the step.
 */
public final class GradClip {
    private GradClip() {}

    /** The total gradient norm of {@code params} (those without gradient are skipped). */
    public static double totalNorm(Collection<Tensor> params) {
        List<Tensor> norms = new ArrayList<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad != null && grad.defined()) norms.add(torch.norm(grad, new org.bytedeco.pytorch.ScalarOptional(new Scalar(2.0))));
            }
            if (norms.isEmpty()) return 0.0;
            Tensor stacked = torch.stack(new TensorVector(norms.toArray(new Tensor[0])));
            return torch.norm(stacked, new org.bytedeco.pytorch.ScalarOptional(new Scalar(2.0))).item_double();
        }
    }

    /**
     * Clips in place when {@code maxNorm > 0}; returns the norm before clipping.
     */
    public static double clip(Collection<Tensor> params, double maxNorm) {
        double total = totalNorm(params);
        if (maxNorm > 0 && Double.isFinite(total)) {
            double coef = maxNorm / (total + 1e-6);
            if (coef < 1.0) {
                try (NoGradGuard g = new NoGradGuard()) {
                    for (Tensor p : params) {
                        Tensor grad = p.grad();
                        if (grad != null && grad.defined()) grad.mul_(new Scalar((float) coef));
                    }
                }
            }
        }
        return total;
    }
}
