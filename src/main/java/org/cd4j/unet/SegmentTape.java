package org.cd4j.unet;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Autocast;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Gradient checkpointing by recomputation, segment by segment. In the forward pass each segment
 * (a UNet block) runs without building a graph and only its inputs and outputs are kept, as
 * fresh leaves; {@link #backward} then walks the segments in reverse, recomputes each one with
 * gradients from its saved inputs and back-propagates the gradient its outputs received. Peak
 * memory holds one block's activations instead of the whole network's, at the cost of a second
 * forward pass — the trade {@code torch.utils.checkpoint} makes, done here without custom
 * autograd functions (which libtorch's Java API does not offer).
 *
 * <p>Gradients reach the trained weights (accumulated as usual) and, through {@link #input}, the
 * tensors the segments were fed from outside (the text encoder's states, for the token rows).
 * Results are those of the plain pass up to floating-point summation order.
 */
public final class SegmentTape {
    private record Segment(Function<List<Tensor>, List<Tensor>> body, List<Tensor> inputs, List<Tensor> outputs,
                           Autocast.State autocast) {}

    private final List<Segment> segments = new ArrayList<>();
    private final List<Tensor[]> external = new ArrayList<>();

    /**
     * A leaf standing for {@code t} inside the segments; its gradient is passed on to {@code t}
     * at the end of {@link #backward} when {@code t} requires one.
     */
    public Tensor input(Tensor t) {
        Tensor leaf = t.detach();
        if (t.requires_grad()) {
            leaf.requires_grad_(true);
            external.add(new Tensor[]{t, leaf});
        }
        return leaf;
    }

    /** Runs {@code body} on {@code inputs} without a graph and returns its outputs as leaves. */
    public List<Tensor> segment(List<Tensor> inputs, Function<List<Tensor>, List<Tensor>> body) {
        List<Tensor> leaves = new ArrayList<>();
        // The block's intermediates are freed as soon as it ends (Java handles would otherwise keep
        // them alive until the caller's scope closes); only the output leaves survive.
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Tensor o : body.apply(inputs)) {
                Tensor leaf = o.detach().requires_grad_(true);
                leaf.retainReference();
                leaves.add(leaf);
            }
        }
        PointerScope outer = PointerScope.getInnerScope();
        for (Tensor leaf : leaves) {
            if (outer != null) {
                outer.attach(leaf);
                leaf.releaseReference(); // now owned by the caller's scope alone
            }
        }
        segments.add(new Segment(body, List.copyOf(inputs), leaves, Autocast.State.current()));
        return leaves;
    }

    /** Back-propagates {@code loss} (a scalar computed from the last segment's outputs) through every segment. */
    public void backward(Tensor loss) {
        loss.backward();
        for (int i = segments.size() - 1; i >= 0; i--) {
            Segment s = segments.get(i);
            Autocast.State before = s.autocast().apply();
            try (PointerScope scope = new PointerScope()) {
                List<Tensor> outs = s.body().apply(s.inputs());
                Tensor surrogate = null; // Σ_k <out_k, grad_k>: its gradient is the vector-Jacobian product
                for (int k = 0; k < outs.size(); k++) {
                    Tensor g = s.outputs().get(k).grad();
                    if (g == null || !g.defined()) continue;
                    Tensor term = outs.get(k).mul(g).sum();
                    surrogate = surrogate == null ? term : surrogate.add(term);
                }
                if (surrogate != null && surrogate.requires_grad()) surrogate.backward();
            } finally {
                before.apply();
            }
        }
        for (Tensor[] e : external) {
            Tensor g = e[1].grad();
            if (g != null && g.defined()) e[0].mul(g).sum().backward(); // vector-Jacobian product with g
        }
        segments.clear();
        external.clear();
    }
}
