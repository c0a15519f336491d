package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.TorchUnpickleHost.Placeholder;
import org.cd4j.io.TorchUnpickleHost.StorageRef;
import org.cd4j.io.Unpickler.Global;
import org.cd4j.io.Unpickler.PyTuple;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code torch.save} files ({@code .bin}, {@code .pt}, {@code .ckpt}; the ZIP format of
 * torch >= 1.6) without ever running anything: the pickle inside is interpreted by a small
 * virtual machine that only knows an allow-list of torch's tensor-rebuild functions, storage
 * classes, {@code collections.OrderedDict} and {@code torch.Size}.
 *
 * <p>The result is plain Java: dicts are {@code LinkedHashMap<String, Object>} in file order
 * (non-string keys become their Python {@code str()}, e.g. {@code 0} becomes {@code "0"}), lists
 * and tuples are {@code List<Object>} (tuples unmodifiable), and leaves are {@link String},
 * {@link Long} ({@link BigInteger} beyond 64 bits), {@link Double}, {@link Boolean}, {@code null},
 * {@code byte[]} and {@link Tensor}. Tensors are CPU tensors owning their memory: a tensor that
 * was a view of a larger storage (diffusers' {@code <new1>.bin} row of the whole embedding matrix)
 * is copied to its own elements. {@code requires_grad} flags are not carried over.
 *
 * <p>{@link Mode#STRICT} (the default) refuses any other Python name with a
 * {@link FormatException}. {@link Mode#LENIENT} turns unknown objects into opaque
 * {@link PickleObject}s instead, for Lightning {@code .ckpt} files whose {@code state_dict} sits
 * beside callbacks and hyper-parameter objects; it still never executes anything.
 */
public final class TorchPickleReader {
    /** How unknown Python objects are treated. */
    public enum Mode {
        /** Refuse anything that is not a tensor, dict, list or plain value. */
        STRICT,
        /** Keep unknown objects as {@link PickleObject} placeholders. */
        LENIENT
    }

    /** Deeper nesting than this is refused (real files nest a few levels). */
    private static final int MAX_DEPTH = 1000;

    private TorchPickleReader() {}

    /** Reads {@code file} strictly. */
    public static Object read(Path file) throws IOException {
        return read(file, Mode.STRICT);
    }

    /**
     * Reads {@code file}.
     *
     * @throws FormatException when the file is not a readable torch.save archive, is corrupt, or
     *                         (strict mode) refers to Python objects other than tensors and plain values
     */
    public static Object read(Path file, Mode mode) throws IOException {
        boolean lenient = mode == Mode.LENIENT;
        try (TorchArchive archive = TorchArchive.open(file)) {
            TorchUnpickleHost host = new TorchUnpickleHost(archive, lenient);
            try {
                Object raw = new Unpickler(file, archive.pickleName(), archive.pickle(), host, lenient).load();
                return new Converter(file).convert(raw, 0);
            } finally {
                // Returned tensors hold their own references to the storages they use; this
                // releases the rest now (a one-row view of a big storage) instead of at some GC.
                for (StorageRef s : host.storages.values()) s.data().close();
            }
        }
    }

    /** Reads a file whose top level is a dict (a state dict, a delta ...). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readDict(Path file, Mode mode) throws IOException {
        Object o = read(file, mode);
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new FormatException(file, "holds " + kind(o) + " at the top level, expected a dict");
    }

    /** A short description of a value for messages: "a tensor", "a dict", "a list" ... */
    static String kind(Object o) {
        if (o == null) return "None";
        if (o instanceof Tensor) return "a tensor";
        if (o instanceof Map<?, ?>) return "a dict";
        if (o instanceof List<?>) return "a list";
        if (o instanceof PickleObject p) return "a " + p.qualifiedName() + " object";
        if (o instanceof byte[]) return "bytes";
        return "a " + o.getClass().getSimpleName() + " (" + o + ")";
    }

    /**
     * Turns the VM's values into the public ones, keeping shared values shared and refusing
     * self-containing or absurdly deep structures (which would overflow any later recursive walk).
     */
    private static final class Converter {
        private final Path file;
        private final IdentityHashMap<Object, Object> done = new IdentityHashMap<>();
        private final IdentityHashMap<Object, Boolean> onPath = new IdentityHashMap<>();

        Converter(Path file) {
            this.file = file;
        }

        Object convert(Object v, int depth) throws FormatException {
            if (v == null || v instanceof String || v instanceof Long || v instanceof Double
                    || v instanceof Boolean || v instanceof BigInteger || v instanceof byte[] || v instanceof Tensor) {
                return v;
            }
            Object cached = done.get(v);
            if (cached != null) return cached;
            if (onPath.containsKey(v)) throw new FormatException(file, "the pickle builds a value that contains itself");
            if (depth > MAX_DEPTH) {
                throw new FormatException(file, "the pickle nests values more than " + MAX_DEPTH + " levels deep");
            }
            onPath.put(v, Boolean.TRUE);
            Object out = build(v, depth + 1);
            onPath.remove(v);
            done.put(v, out);
            return out;
        }

        private Object build(Object v, int depth) throws FormatException {
            if (v instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.put((String) e.getKey(), convert(e.getValue(), depth));
                return out;
            }
            if (v instanceof PyTuple t) {
                return Collections.unmodifiableList(list(t.items(), depth));
            }
            if (v instanceof List<?> l) return list(l.toArray(), depth);
            if (v instanceof StorageRef s) return s.data().view(s.numel()); // a bare storage: its elements, 1-d
            if (v instanceof Global g) {
                return new PickleObject(g.module(), g.name(), null, null, Map.of(), List.of());
            }
            if (v instanceof Placeholder p) {
                Map<String, Object> items = new LinkedHashMap<>();
                for (Map.Entry<String, Object> e : p.dict.entrySet()) items.put(e.getKey(), convert(e.getValue(), depth));
                return new PickleObject(p.cls.module(), p.cls.name(), list(p.args.items(), depth),
                        convert(p.state, depth), items, list(p.list.toArray(), depth));
            }
            throw new IllegalStateException("unexpected pickle value " + v.getClass());
        }

        private List<Object> list(Object[] items, int depth) throws FormatException {
            List<Object> out = new ArrayList<>(items.length);
            for (Object o : items) out.add(convert(o, depth));
            return out;
        }
    }
}
