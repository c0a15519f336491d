package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** {@code torch.nn.Embedding}: a {@code weight (num, dim)} table looked up by int64 ids. */
public final class Embedding extends Module {
    private Tensor weight;

    public Embedding(long num, long dim, DType dtype) {
        super(dtype);
        this.weight = param("weight", num, dim);
    }

    public Embedding(long num, long dim) {
        this(num, dim, DType.F32);
    }

    public Tensor forward(Tensor ids) {
        return torch.embedding(weight, ids);
    }

    public Tensor weight() {
        return weight;
    }

    public long num() {
        return weight.size(0);
    }
}
