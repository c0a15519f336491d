package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;

/** {@code torch.nn.LayerNorm} over the last dimension, with {@code weight} and {@code bias}. */
public final class LayerNorm extends Module {
    public final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public LayerNorm(long dim, double eps, DType dtype) {
        super(dtype);
        this.eps = eps;
        this.weight = param("weight", dim);
        this.bias = param("bias", dim);
    }

    public LayerNorm(long dim, double eps) {
        this(dim, eps, DType.F32);
    }

    public Tensor forward(Tensor x) {
        long t0 = OpProfile.begin();
        Tensor y = F.layerNorm(x, weight, bias, eps);
        if (t0 != 0) OpProfile.end(t0, "layer_norm", java.util.Arrays.toString(Tensors.shape(x)).replace(" ", ""), 0);
        return y;
    }
}
