package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;

/** {@code torch.nn.Linear}: parameters {@code weight (out, in)} and optional {@code bias (out)}. */
public final class Linear extends Module {
    public final long in;
    public final long out;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(long in, long out, boolean bias, DType dtype) {
        super(dtype);
        this.in = in;
        this.out = out;
        this.weight = param("weight", out, in);
        this.bias = bias ? param("bias", out) : null;
    }

    public Linear(long in, long out, boolean bias) {
        this(in, out, bias, DType.F32);
    }

    public Tensor forward(Tensor x) {
        return F.linear(x, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }
}
