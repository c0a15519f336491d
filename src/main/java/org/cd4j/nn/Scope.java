package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A native-memory scope: every tensor handle created while it is open is released when it
 * closes, so a sampling or training step does not leave its intermediates to the garbage
 * collector. Results that must outlive the step are passed to {@link #keep}.
 */
public final class Scope implements AutoCloseable {
    private final PointerScope scope = new PointerScope();

    /** Detaches {@code t} from this scope so that it survives {@link #close()}. */
    public Tensor keep(Tensor t) {
        scope.detach(t);
        return t;
    }

    @Override
    public void close() {
        scope.close();
    }
}
