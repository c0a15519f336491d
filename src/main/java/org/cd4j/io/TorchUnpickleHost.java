package org.cd4j.io;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.Unpickler.Global;
import org.cd4j.io.Unpickler.PyTuple;
import org.cd4j.nn.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the names in a torch pickle mean, for {@link TorchPickleReader}. Only an allow-list of
 * torch's own rebuild functions, storage classes, {@code collections.OrderedDict} and
 * {@code torch.Size} is understood, each interpreted here in Java; nothing is ever imported or
 * run. In strict mode any other name is refused; in lenient mode it becomes an opaque
 * {@link Placeholder}, so a Lightning checkpoint's {@code state_dict} can be read past its
 * callbacks and hyper-parameter objects.
 */
final class TorchUnpickleHost implements Unpickler.Host {
    private static final Set<String> CALLABLE = Set.of(
            "collections.OrderedDict", "torch.Size", "_codecs.encode",
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            "torch._tensor._rebuild_from_type_v2");
    /** Classes that may appear as arguments (tensor subclass markers), never called. */
    private static final Set<String> TYPES = Set.of("torch.Tensor", "torch.nn.parameter.Parameter");

    /** A storage loaded for a persistent id; tensors are views or copies of {@code data}. */
    record StorageRef(String key, DType dtype, long numel, Tensor data) {}

    /** An object of a class we do not know (lenient mode only), filled as the pickle says. */
    static final class Placeholder {
        final Global cls;
        final PyTuple args;
        Object state;
        final LinkedHashMap<String, Object> dict = new LinkedHashMap<>();
        final List<Object> list = new ArrayList<>();

        Placeholder(Global cls, PyTuple args) {
            this.cls = cls;
            this.args = args;
        }
    }

    private final TorchArchive archive;
    private final boolean lenient;
    final Map<String, StorageRef> storages = new LinkedHashMap<>();

    TorchUnpickleHost(TorchArchive archive, boolean lenient) {
        this.archive = archive;
        this.lenient = lenient;
    }

    private FormatException error(String what) {
        return new FormatException(archive.file, what);
    }

    @Override
    public Object global(String module, String name) throws FormatException {
        String q = module + "." + name;
        if (module.equals("torch") && name.endsWith("Storage") && DType.fromTorchStorageName(name) == null && !lenient) {
            throw error("has tensors stored as " + q + ", which cd4j does not read; expected one of "
                    + Arrays.stream(DType.values()).map(d -> "torch." + d.torchStorageName).toList());
        }
        boolean storage = module.equals("torch") && DType.fromTorchStorageName(name) != null;
        if (!lenient && !storage && !CALLABLE.contains(q) && !TYPES.contains(q)) {
            throw error("refuses to load pickle global '" + q + "' (only tensors, dicts and lists are allowed)");
        }
        return new Global(module, name);
    }

    @Override
    public Object call(Object callable, PyTuple a) throws FormatException {
        if (callable instanceof Placeholder p && lenient) return new Placeholder(p.cls, a);
        if (!(callable instanceof Global g)) {
            throw error("the pickle calls " + Unpickler.describe(callable) + ", expected a class or function");
        }
        switch (g.qualified()) {
            case "collections.OrderedDict":
                return orderedDict(a);
            case "torch.Size":
                return arg(a, 0, PyTuple.class, g);
            case "_codecs.encode": {
                // protocol 2's spelling of a bytes object: encode(text, 'latin1')
                String text = arg(a, 0, String.class, g);
                Object enc = a.size() > 1 ? a.get(1) : "utf-8";
                boolean latin1 = "latin1".equals(enc) || "latin-1".equals(enc);
                return text.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
            }
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                return rebuild(arg(a, 0, StorageRef.class, g), arg(a, 1, Long.class, g),
                        longs(arg(a, 2, PyTuple.class, g), "size"), longs(arg(a, 3, PyTuple.class, g), "stride"));
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return arg(a, 0, Tensor.class, g);
            case "torch._tensor._rebuild_from_type_v2":
                // (func, new_type, args, state): a tensor with Python attributes; keep the tensor
                return call(arg(a, 0, Object.class, g), arg(a, 2, PyTuple.class, g));
            default:
                if (lenient) return new Placeholder(g, a);
                throw error("the pickle calls '" + g.qualified() + "', which cannot be called; expected a tensor rebuild");
        }
    }

    private Map<String, Object> orderedDict(PyTuple a) throws FormatException {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        if (a.size() == 0) return m;
        // OrderedDict([(k, v), ...]): rare, but a valid spelling
        if (a.size() == 1 && a.get(0) instanceof List<?> items) {
            for (Object it : items) {
                if (!(it instanceof PyTuple kv) || kv.size() != 2 || !(kv.get(0) instanceof String k)) {
                    throw error("OrderedDict item is " + Unpickler.describe(it) + ", expected a (str, value) pair");
                }
                m.put(k, kv.get(1));
            }
            return m;
        }
        throw error("OrderedDict is called with " + a.size() + " arguments, expected none or a list of pairs");
    }

    private <T> T arg(PyTuple a, int i, Class<T> type, Global g) throws FormatException {
        if (i >= a.size() || !type.isInstance(a.get(i))) {
            String got = i >= a.size() ? "missing" : Unpickler.describe(a.get(i));
            throw error("argument " + (i + 1) + " of " + g.qualified() + " is " + got + ", expected "
                    + (type == StorageRef.class ? "a storage" : "a " + type.getSimpleName()));
        }
        return type.cast(a.get(i));
    }

    private long[] longs(PyTuple t, String what) throws FormatException {
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v) || v < 0) {
                throw error("tensor " + what + " " + Arrays.toString(t.items()) + " has " + Unpickler.describe(t.get(i))
                        + ", expected non-negative integers");
            }
            out[i] = v;
        }
        return out;
    }

    /**
     * {@code torch._utils._rebuild_tensor_v2}: a tensor of {@code size} and {@code stride}
     * starting {@code offset} elements into a storage. Checked to stay inside the storage; when
     * the tensor is the whole storage in C order it shares its memory, otherwise (a view such as
     * one embedding row) it is copied so it owns exactly its own elements.
     */
    private Tensor rebuild(StorageRef s, long offset, long[] size, long[] stride) throws FormatException {
        String what = "tensor on storage '" + s.key() + "' (size " + Arrays.toString(size) + ", stride "
                + Arrays.toString(stride) + ", offset " + offset + ")";
        if (size.length != stride.length) throw error(what + " has sizes and strides of different lengths");
        if (offset < 0) throw error(what + " has a negative offset");
        long numel = 1;
        long last = offset;
        try {
            for (int i = 0; i < size.length; i++) {
                numel = Math.multiplyExact(numel, size[i]);
                if (size[i] > 0) last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
            }
        } catch (ArithmeticException e) {
            throw error(what + " overflows, expected a realistic shape");
        }
        if (numel > 0 ? last >= s.numel() : offset > s.numel()) {
            throw error(what + " reaches element " + last + " of a storage of " + s.numel()
                    + ", expected it to stay inside the storage");
        }
        if (numel > s.numel() && numel > (1L << 30) / s.dtype().size) {
            throw error(what + " expands a storage of " + s.numel() + " elements to " + numel
                    + ", expected at most 1 GiB of expanded data");
        }
        try (NoGradGuard g = new NoGradGuard()) {
            if (offset == 0 && numel == s.numel() && isContiguous(size, stride)) return s.data().view(size);
            Tensor view = s.data().as_strided(size, stride, new LongOptional(offset));
            Tensor copy = view.clone(new MemoryFormatOptional(torch.MemoryFormat.Contiguous));
            view.close();
            return copy;
        }
    }

    private static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expected) return false;
            expected *= size[i];
        }
        return true;
    }

    @Override
    public Object persistentLoad(Object pid) throws FormatException {
        if (!(pid instanceof PyTuple t) || t.size() < 5 || !"storage".equals(t.get(0))) {
            throw error("persistent id " + Unpickler.describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        if (!(t.get(1) instanceof Global cls) || !cls.module().equals("torch")
                || DType.fromTorchStorageName(cls.name()) == null) {
            throw error("storage type " + Unpickler.describe(t.get(1)) + " is not one cd4j reads; expected one of "
                    + Arrays.stream(DType.values()).map(d -> "torch." + d.torchStorageName).toList());
        }
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel)) {
            throw error("persistent id " + Arrays.toString(t.items()) + " has no string key and integer size");
        }
        DType dtype = DType.fromTorchStorageName(cls.name());
        StorageRef s = storages.get(key);
        if (s != null) {
            if (s.dtype() != dtype || s.numel() != numel) {
                throw error("storage '" + key + "' is declared twice, as " + s.numel() + " " + s.dtype()
                        + " and as " + numel + " " + dtype);
            }
            return s;
        }
        try {
            s = new StorageRef(key, dtype, numel, archive.storage(key, dtype, numel));
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            throw new FormatException(archive.file, "cannot read storage '" + key + "': " + e.getMessage(), e);
        }
        storages.put(key, s);
        return s;
    }

    @Override
    public void build(Object target, Object state) throws FormatException {
        if (target instanceof Placeholder p) {
            p.state = state;
        } else if (target instanceof Map<?, ?> || target instanceof Tensor) {
            // OrderedDict state dicts carry {'_metadata': ...} (module versions) and tensors may
            // carry Python attributes: neither is needed to use the weights.
        } else if (!lenient) {
            throw error("the pickle sets state on " + Unpickler.describe(target) + ", expected a dict or tensor");
        }
    }

    @Override
    public boolean setItem(Object target, String key, Object value) {
        if (!(target instanceof Placeholder p)) return false;
        p.dict.put(key, value);
        return true;
    }

    @Override
    public boolean append(Object target, Object value) {
        if (!(target instanceof Placeholder p)) return false;
        p.list.add(value);
        return true;
    }
}
