package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;

/** {@code torch.nn.Conv2d} with square kernel, stride and padding, with bias. */
public final class Conv2d extends Module {
    public final long in;
    public final long out;
    public final long kernel;
    public final long stride;
    public final long padding;
    private final Tensor weight;
    private final Tensor bias;

    public Conv2d(long in, long out, long kernel, long stride, long padding, DType dtype) {
        super(dtype);
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = param("weight", out, in, kernel, kernel);
        this.bias = param("bias", out);
    }

    public Conv2d(long in, long out, long kernel, long stride, long padding) {
        this(in, out, kernel, stride, padding, DType.F32);
    }

    public Tensor forward(Tensor x) {
        return F.conv2d(x, weight, bias, stride, padding);
    }
}
