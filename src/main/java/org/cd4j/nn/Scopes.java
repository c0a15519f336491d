package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Native memory of intermediate tensors, released as a pass goes. A Java handle keeps its
 * tensor's memory until the enclosing {@link PointerScope} closes (or the collector runs), so
 * without gradients a whole network's activations would pile up until the end of the pass
 * (measured: a 512×512 SD VAE decode held 6.7 GiB that way), where PyTorch frees each one as
 * soon as nothing refers to it. {@link #keep} frees a block's intermediates when it returns;
 * {@link #chain} also frees each step's result once the next step has used it. Under autograd
 * the graph keeps what backward needs by itself, so gradients are unchanged.
 */
public final class Scopes {
    private Scopes() {}

    /**
     * Runs {@code body} in its own scope and keeps only its result, which then belongs to the
     * caller's innermost scope (or, with none open, to the garbage collector).
     */
    public static Tensor keep(Supplier<Tensor> body) {
        Tensor result;
        try (PointerScope scope = new PointerScope()) {
            result = body.get();
            result.retainReference(); // survives the scope's close
        }
        return handOver(result);
    }

    /** {@code x} through each step in turn; only the current step's input and output are alive at once. */
    @SafeVarargs
    public static Tensor chain(Tensor x, UnaryOperator<Tensor>... steps) {
        return chain(x, List.of(steps));
    }

    /**
     * {@code x} through each step in turn; only the current step's input and output are alive at
     * once. A step may return its input unchanged; {@code x} itself is never released here.
     */
    public static Tensor chain(Tensor x, List<? extends UnaryOperator<Tensor>> steps) {
        Tensor h = x;
        boolean ours = false; // whether h is a result of ours, held by our reference alone
        for (UnaryOperator<Tensor> step : steps) {
            Tensor next;
            try (PointerScope scope = new PointerScope()) {
                next = step.apply(h);
                if (next != h && next != x) next.retainReference(); // a new result survives the scope, ours
            }
            if (next == h) continue; // the step changed nothing
            if (ours) h.releaseReference(); // frees the previous result
            h = next;
            ours = next != x; // the caller's own tensor stays the caller's
        }
        return ours ? handOver(h) : h;
    }

    /** A retained result turned over to the caller's innermost scope, if one is open. */
    private static Tensor handOver(Tensor t) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(t);
            t.releaseReference(); // now the outer scope's alone
        }
        return t;
    }
}
