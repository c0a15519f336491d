package org.cd4j.sched;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Reference counting for tensors a sampler keeps from one step to the next (PNDM's and
 * DPM-Solver's model-output history, the loop's latents). Callers release each step's native
 * memory by closing a {@link PointerScope} around it; a tensor the sampler must keep gets one
 * extra reference so the scope's close does not free it, and gives it back when it is replaced.
 * (Detaching from a JavaCPP scope releases the reference the scope held, which frees a tensor
 * created in it, so retaining is the way to keep one.)
 */
final class Held {
    private Held() {}

    /** Takes a reference: {@code t} survives the enclosing scope. Returns {@code t}. */
    static Tensor retain(Tensor t) {
        if (t != null) t.retainReference();
        return t;
    }

    /** Gives back a reference taken by {@link #retain}; frees {@code t} when nothing else holds it. */
    static void release(Tensor t) {
        if (t != null && !t.isNull()) t.releaseReference();
    }

    /**
     * Turns a retained result over to the caller: owned by the caller's innermost scope if one
     * is open, else left to the garbage collector.
     */
    static Tensor handOver(Tensor t) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(t);
            t.releaseReference();
        }
        return t;
    }
}
