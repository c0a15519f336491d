package org.cd4j.nn;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Base of every model part: named parameters and named children, so that the full parameter
 * names are exactly the keys of the diffusers / transformers state dict
 * ({@code down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k.weight}), and loading is a
 * strict by-name copy that fails loudly on missing, unexpected or mis-shaped keys.
 */
public abstract class Module {
    static {
        Torch.init();
    }

    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    /** Dtype new parameters are created in. */
    protected final DType dtype;

    protected Module(DType dtype) {
        this.dtype = dtype;
    }

    protected Module() {
        this(DType.F32);
    }

    /** Registers a zero-initialised parameter of the given shape (filled by loadStateDict). */
    protected final Tensor param(String name, long... shape) {
        if (params.containsKey(name) || children.containsKey(name)) {
            throw new IllegalStateException("duplicate name " + name);
        }
        Tensor t = torch.zeros(shape, Tensors.options(dtype));
        params.put(name, t);
        return t;
    }

    /** Registers a child module under {@code name} (a state-dict key segment). */
    protected final <M extends Module> M child(String name, M m) {
        if (params.containsKey(name) || children.containsKey(name)) {
            throw new IllegalStateException("duplicate name " + name);
        }
        children.put(name, m);
        return m;
    }

    /** Replaces a registered child (used to swap attention processors or trained copies). */
    protected final void replaceChild(String name, Module m) {
        if (!children.containsKey(name)) throw new IllegalArgumentException("no child " + name);
        children.put(name, m);
    }

    /** The direct children in registration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter with its full dotted name, in registration order. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        for (Map.Entry<String, Tensor> e : params.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    /** Every module with its full dotted name ("" for this one), depth first. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        out.put(name, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(name.isEmpty() ? e.getKey() : name + "." + e.getKey(), out);
        }
    }

    /** Total number of parameter elements. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    /**
     * Copies every tensor of {@code stateDict} into the parameter of the same name, converting to
     * this module's dtype. Strict: a missing key, an unexpected key (other than those matched by
     * {@code ignored}) or a shape mismatch throws, naming {@code source} and every offending key.
     */
    public final void loadStateDict(Map<String, Tensor> stateDict, String source, Set<String> ignored) {
        Map<String, Tensor> own = namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> badShape = new ArrayList<>();
        Set<String> unexpected = new TreeSet<>();
        for (String k : stateDict.keySet()) {
            if (!own.containsKey(k) && !ignored.contains(k)) unexpected.add(k);
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = stateDict.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(Tensors.shape(src), Tensors.shape(e.getValue()))) {
                badShape.add(e.getKey() + " has shape " + Arrays.toString(Tensors.shape(src))
                        + ", expected " + Arrays.toString(Tensors.shape(e.getValue())));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !badShape.isEmpty()) {
            StringBuilder sb = new StringBuilder(source + " does not match the model:");
            if (!missing.isEmpty()) sb.append("\n  missing ").append(missing.size()).append(" weight(s): ").append(abbreviate(missing));
            if (!unexpected.isEmpty()) sb.append("\n  unexpected ").append(unexpected.size()).append(" weight(s): ").append(abbreviate(new ArrayList<>(unexpected)));
            if (!badShape.isEmpty()) sb.append("\n  wrong shape: ").append(abbreviate(badShape));
            throw new WeightMismatchException(sb.toString());
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                e.getValue().copy_(stateDict.get(e.getKey()));
            }
        }
    }

    /** Strict load with no ignored keys. */
    public final void loadStateDict(Map<String, Tensor> stateDict, String source) {
        loadStateDict(stateDict, source, Set.of());
    }

    private static String abbreviate(List<String> keys) {
        if (keys.size() <= 8) return String.join(", ", keys);
        return String.join(", ", keys.subList(0, 8)) + ", ... (" + (keys.size() - 8) + " more)";
    }

    /**
     * Moves every parameter to {@code device} in place (as PyTorch's {@code module.to(device)}:
     * each parameter keeps its identity and {@code requires_grad}, only its data moves), so
     * layers and trainers holding the parameter see the moved tensor.
     */
    public final void to(Device device) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : namedParameters().values()) {
                Tensor moved = device.put(t);
                if (moved != t) t.set_data(moved);
            }
        }
    }

    /** The device of this module's parameters (the CPU for a module without any). */
    public final Device device() {
        Tensor t = firstParameter();
        return t == null ? Device.CPU : Device.of(t);
    }

    /** The first parameter depth first, without building the name map (called per forward pass). */
    private Tensor firstParameter() {
        for (Tensor t : params.values()) return t;
        for (Module m : children.values()) {
            Tensor t = m.firstParameter();
            if (t != null) return t;
        }
        return null;
    }

    /** Sets {@code requires_grad} on every parameter. */
    public final void requiresGrad(boolean on) {
        for (Tensor t : namedParameters().values()) t.requires_grad_(on);
    }
}
