package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Encodes plain Java values as a pickle, protocol 2, opcode for opcode as CPython's pickler and
 * {@code torch.save} do: the same memo (by object identity, so Java string literals such as
 * {@code "storage"} are written once like Python's interned strings), SETITEMS/APPENDS batches
 * of 1000, and tensors as {@code torch._utils._rebuild_tensor_v2} calls on persistent-id
 * storages. A file written from the structure torch wrote thus has the same {@code data.pkl}.
 */
final class Pickler {
    /** Where a tensor's bytes go: returns the storage key for a dense tensor. */
    interface Storages {
        String key(Tensor dense);
    }

    private static final int BATCH = 1000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final IdentityHashMap<Object, Integer> memo = new IdentityHashMap<>();
    private final Map<String, Integer> globals = new HashMap<>();
    private final Storages storages;
    private int nextMemo;

    Pickler(Storages storages) {
        this.storages = storages;
    }

    /** The complete pickle of {@code root}. */
    byte[] dump(Object root) {
        op(0x80).op(2);
        save(root, "");
        op('.');
        return out.toByteArray();
    }

    private Pickler op(int b) {
        out.write(b);
        return this;
    }

    private void le(long v, int n) {
        for (int i = 0; i < n; i++) out.write((int) (v >>> (8 * i)));
    }

    private void memoize(Object o) {
        int i = nextMemo++;
        memo.put(o, i);
        put(i);
    }

    private void put(int i) {
        if (i < 256) {
            op('q').op(i);
        } else {
            op('r');
            le(i, 4);
        }
    }

    private boolean get(Object o) {
        Integer i = memo.get(o);
        if (i == null) return false;
        if (i < 256) {
            op('h').op(i);
        } else {
            op('j');
            le(i, 4);
        }
        return true;
    }

    /** @param path where the value sits, for error messages */
    private void save(Object v, String path) {
        if (v == null) {
            op('N');
        } else if (v instanceof Boolean b) {
            op(b ? 0x88 : 0x89);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            saveInt(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            saveBig(b);
        } else if (v instanceof Double || v instanceof Float) {
            op('G');
            long bits = Double.doubleToLongBits(((Number) v).doubleValue());
            for (int i = 7; i >= 0; i--) out.write((int) (bits >>> (8 * i))); // big-endian
        } else if (get(v)) {
            // already written: the memo reference keeps shared values shared
        } else if (v instanceof String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le(u.length, 4);
            out.writeBytes(u);
            memoize(v);
        } else if (v instanceof byte[] b) {
            // protocol 2 has no bytes opcode; CPython writes _codecs.encode(text, 'latin1')
            global("_codecs", "encode");
            save(new String(b, StandardCharsets.ISO_8859_1), path);
            save("latin1", path);
            op(0x86);
            memoize(new Object());
            op('R');
            memoize(v);
        } else if (v instanceof Map<?, ?> m) {
            op('}');
            memoize(v);
            saveItems(m, path);
        } else if (v instanceof List<?> l) {
            op(']');
            memoize(v);
            saveList(l, path);
        } else if (v instanceof Tensor t) {
            saveTensor(t, path);
        } else {
            throw new IllegalArgumentException("cannot write " + (path.isEmpty() ? "the top-level value" : "'" + path + "'")
                    + " of type " + v.getClass().getName() + "; expected a Map, List, String, number, Boolean, null, byte[] or Tensor");
        }
    }

    private void saveInt(long x) {
        if (x >= 0 && x <= 0xff) {
            op('K').op((int) x);
        } else if (x >= 0 && x <= 0xffff) {
            op('M');
            le(x, 2);
        } else if (x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE) {
            op('J');
            le(x, 4);
        } else {
            saveBig(BigInteger.valueOf(x));
        }
    }

    private void saveBig(BigInteger b) {
        if (b.bitLength() < 32) {
            saveInt(b.longValue());
            return;
        }
        byte[] be = b.toByteArray(); // minimal two's complement, as Python's encode_long
        op(0x8a).op(be.length);
        for (int i = be.length - 1; i >= 0; i--) out.write(be[i]);
    }

    private void saveItems(Map<?, ?> m, String path) {
        Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
        while (it.hasNext()) {
            List<Map.Entry<?, ?>> batch = new ArrayList<>();
            while (it.hasNext() && batch.size() < BATCH) batch.add(it.next());
            if (batch.size() > 1) op('(');
            for (Map.Entry<?, ?> e : batch) {
                Object k = e.getKey();
                if (!(k instanceof String || k instanceof Long || k instanceof Integer)) {
                    throw new IllegalArgumentException("dict key " + k + " at '" + path + "' is "
                            + (k == null ? "null" : k.getClass().getName()) + "; expected a String or an integer");
                }
                save(k, path);
                save(e.getValue(), path.isEmpty() ? String.valueOf(k) : path + "/" + k);
            }
            op(batch.size() > 1 ? 'u' : 's');
        }
    }

    private void saveList(List<?> l, String path) {
        for (int start = 0; start < l.size(); start += BATCH) {
            List<?> batch = l.subList(start, Math.min(l.size(), start + BATCH));
            if (batch.size() > 1) op('(');
            for (int i = 0; i < batch.size(); i++) save(batch.get(i), path + "[" + (start + i) + "]");
            op(batch.size() > 1 ? 'e' : 'a');
        }
    }

    /** A GLOBAL, memoized by name as CPython memoizes the class or function object. */
    private void global(String module, String name) {
        String q = module + "\n" + name + "\n";
        Integer i = globals.get(q);
        if (i != null) {
            if (i < 256) {
                op('h').op(i);
            } else {
                op('j');
                le(i, 4);
            }
            return;
        }
        op('c');
        out.writeBytes(q.getBytes(StandardCharsets.US_ASCII));
        int idx = nextMemo++;
        globals.put(q, idx);
        put(idx);
    }

    /** Tuples written as CPython does: memoized unless empty; MARK ... TUPLE beyond three items. */
    private void tuple(Runnable items, int n) {
        if (n == 0) {
            op(')');
            return;
        }
        if (n > 3) op('(');
        items.run();
        op(n > 3 ? 't' : 0x84 + n);
        memoize(new Object());
    }

    private void longs(long[] v) {
        tuple(() -> {
            for (long x : v) saveInt(x);
        }, v.length);
    }

    /**
     * {@code _rebuild_tensor_v2(storage, 0, size, stride, requires_grad, OrderedDict())} with the
     * storage as persistent id {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}.
     */
    private void saveTensor(Tensor t, String path) {
        Tensor dense = TensorBytes.dense(t, "tensor '" + path + "'");
        DType dt = TensorDTypes.of(dense, "tensor '" + path + "'");
        String key = storages.key(dense);
        long[] size = Tensors.shape(dense);
        long[] stride = new long[size.length];
        long s = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= size[i];
        }
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        tuple(() -> {
            save("storage", path);
            global("torch", dt.torchStorageName);
            save(key, path);
            save("cpu", path);
            saveInt(dense.numel());
        }, 5);
        op('Q');
        saveInt(0);
        longs(size);
        longs(stride);
        op(t.requires_grad() ? 0x88 : 0x89);
        global("collections", "OrderedDict");
        op(')').op('R');
        memoize(new Object());
        op('t');
        memoize(new Object());
        op('R');
        memoize(t);
    }
}
