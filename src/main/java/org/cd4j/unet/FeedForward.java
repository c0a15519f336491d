package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;

/**
 * diffusers' {@code FeedForward} with the GEGLU activation (SD's only one):
 * {@code net.0.proj = Linear(dim, 2·inner)} split into value and gate, {@code value · gelu(gate)},
 * then {@code net.2 = Linear(inner, dim)} ({@code net.1} is dropout: no weights). inner = 4·dim.
 */
final class FeedForward extends Module {
    private final Linear proj;
    private final Linear out;
    private final long inner;

    FeedForward(long dim, DType dtype) {
        super(dtype);
        this.inner = dim * 4;
        Container net = child("net", new Container(dtype));
        Container geglu = net.add("0", new Container(dtype));
        this.proj = geglu.add("proj", new Linear(dim, inner * 2, true, dtype));
        this.out = net.add("2", new Linear(inner, dim, true, dtype));
    }

    /** (B, T, dim) → (B, T, dim). */
    Tensor forward(Tensor x) {
        Tensor p = proj.forward(x); // (B, T, 2·inner): value then gate, as diffusers' chunk(2)
        Tensor hidden = p.narrow(-1, 0, inner);
        Tensor gate = p.narrow(-1, inner, inner);
        return out.forward(hidden.mul(F.gelu(gate)));
    }
}
