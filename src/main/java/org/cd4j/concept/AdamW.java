package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, step for step as {@code torch.optim.AdamW} (single-tensor
 * path): {@code p ← p·(1 − lr·wd)}, moment updates, bias corrections, {@code p ← p − lr/bc1 ·
 * m / (sqrt(v)/sqrt(bc2) + eps)}. Kept here rather than libtorch's so that its whole state is
 * plain named tensors a checkpoint can save and restore exactly; decay touches only the
 * parameters given, so the frozen embedding rows never decay (reference §0.6, fixed).
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private long step;

    /** @param params the trainable leaf tensors by name (gradients read from {@code .grad()}) */
    public AdamW(Map<String, Tensor> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = new LinkedHashMap<>(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                expAvg.put(e.getKey(), torch.zeros_like(e.getValue()));
                expAvgSq.put(e.getKey(), torch.zeros_like(e.getValue()));
            }
        }
    }

    /** The reference's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. */
    public static AdamW withDefaults(Map<String, Tensor> params) {
        return new AdamW(params, 0.9, 0.999, 1e-8, 1e-2);
    }

    /** Applies one update with learning rate {@code lr} to every parameter that has a gradient. */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) continue;
                Tensor m = expAvg.get(e.getKey());
                Tensor v = expAvgSq.get(e.getKey());
                p.mul_(new Scalar(1 - lr * weightDecay));
                m.lerp_(grad, new Scalar(1 - beta1));
                v.mul_(new Scalar(beta2)).addcmul_(grad, grad, new Scalar(1 - beta2));
                Tensor denom = v.sqrt().div_(new Scalar(bc2Sqrt)).add_(new Scalar(eps));
                p.addcdiv_(m, denom, new Scalar(-lr / bc1));
            }
        }
    }

    /** Clears every gradient (sets it to none, as {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor grad = p.grad();
            if (grad != null && grad.defined()) p.mutable_grad().reset();
        }
    }

    /** Steps taken so far. */
    public long steps() {
        return step;
    }

    /** The optimiser state as named tensors ({@code exp_avg/NAME}, {@code exp_avg_sq/NAME}) for a checkpoint. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> out.put("exp_avg/" + k, v));
        expAvgSq.forEach((k, v) -> out.put("exp_avg_sq/" + k, v));
        return out;
    }

    /** Restores {@link #state()} and the step count, checking every tensor is present and shaped right. */
    public void load(Map<String, Tensor> state, long steps, String source) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (String k : params.keySet()) {
                for (String kind : new String[]{"exp_avg/", "exp_avg_sq/"}) {
                    Tensor t = state.get(kind + k);
                    if (t == null) throw new IllegalArgumentException(source + " lacks optimiser state " + kind + k);
                    Tensor dst = (kind.equals("exp_avg/") ? expAvg : expAvgSq).get(k);
                    if (!java.util.Arrays.equals(org.cd4j.nn.Tensors.shape(t), org.cd4j.nn.Tensors.shape(dst))) {
                        throw new IllegalArgumentException(source + ": optimiser state " + kind + k + " has the wrong shape");
                    }
                    dst.copy_(t);
                }
            }
        }
        this.step = steps;
    }
}
