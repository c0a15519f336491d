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
        long t0 = OpProfile.begin();
        Tensor y = F.linear(x, weight, bias);
        if (t0 != 0) {
            long rows = x.numel() / in; // every leading dimension
            OpProfile.end(t0, "linear", rows + "x" + in + "->" + out, 2.0 * rows * in * out);
        }
        return y;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }
}
