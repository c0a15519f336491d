package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;

/** {@code torch.nn.GroupNorm} with affine {@code weight}/{@code bias} per channel. */
public final class GroupNorm extends Module {
    public final long groups;
    public final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public GroupNorm(long groups, long channels, double eps, DType dtype) {
        super(dtype);
        if (channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels cannot be split into " + groups + " groups (norm_num_groups)");
        }
        this.groups = groups;
        this.eps = eps;
        this.weight = param("weight", channels);
        this.bias = param("bias", channels);
    }

    public GroupNorm(long groups, long channels, double eps) {
        this(groups, channels, eps, DType.F32);
    }

    public Tensor forward(Tensor x) {
        long t0 = OpProfile.begin();
        Tensor y = F.groupNorm(x, groups, weight, bias, eps);
        if (t0 != 0) OpProfile.end(t0, "group_norm", java.util.Arrays.toString(Tensors.shape(x)).replace(" ", ""), 0);
        return y;
    }
}
