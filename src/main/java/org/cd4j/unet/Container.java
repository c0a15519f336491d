package org.cd4j.unet;

import org.cd4j.nn.DType;
import org.cd4j.nn.Module;

/**
 * A parameter-less module holding named children, like {@code torch.nn.ModuleList}: it exists so
 * that state-dict names get their list segment ({@code down_blocks.0}, {@code to_out.0},
 * {@code ff.net.2}).
 */
final class Container extends Module {
    Container(DType dtype) {
        super(dtype);
    }

    /** Registers {@code m} under {@code name}. */
    <M extends Module> M add(String name, M m) {
        return child(name, m);
    }

    /** Registers {@code m} under the next list index. */
    <M extends Module> M append(M m) {
        return child(String.valueOf(children().size()), m);
    }
}
