package org.cd4j.vae;

import org.cd4j.nn.DType;
import org.cd4j.nn.Module;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * PyTorch's {@code nn.ModuleList}: children named {@code 0, 1, ...}, so that
 * {@code down_blocks.1.resnets.0} resolves as in the checkpoint. (A generic one belongs in
 * {@code nn}; this stays package-private until it moves there.)
 */
final class VaeModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    VaeModuleList(DType dtype) {
        super(dtype);
    }

    M add(M m) {
        child(Integer.toString(items.size()), m);
        items.add(m);
        return m;
    }

    M get(int i) {
        return items.get(i);
    }

    int size() {
        return items.size();
    }

    @Override
    public Iterator<M> iterator() {
        return items.iterator();
    }
}
