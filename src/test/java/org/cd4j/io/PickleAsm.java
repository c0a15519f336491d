package org.cd4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Hand-assembles pickles and torch.save-like archives for tests, including broken ones. */
final class PickleAsm {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    static PickleAsm proto2() {
        return new PickleAsm().op(0x80).op(2);
    }

    PickleAsm op(int... ops) {
        for (int o : ops) b.write(o);
        return this;
    }

    PickleAsm str(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        le(u.length, 4);
        b.writeBytes(u);
        return this;
    }

    PickleAsm integer(long v) {
        if (v == (int) v) {
            op('J');
            return le(v, 4);
        }
        op(0x8a, 8); // LONG1, 8 bytes two's complement
        return le(v, 8);
    }

    PickleAsm global(String module, String name) {
        op('c');
        b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleAsm ints(long... v) {
        op('(');
        for (long x : v) integer(x);
        return op('t');
    }

    /** {@code _rebuild_tensor_v2(('storage', torch.<cls>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())}. */
    PickleAsm tensor(String storageClass, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").op('(');
        op('(').str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).op('t').op('Q');
        integer(offset).ints(size).ints(stride).op(0x89);
        global("collections", "OrderedDict").op(')', 'R');
        return op('t', 'R');
    }

    PickleAsm le(long v, int n) {
        for (int i = 0; i < n; i++) b.write((int) (v >>> (8 * i)));
        return this;
    }

    byte[] bytes() {
        return b.toByteArray();
    }

    /** A ZIP archive of the given records (deflated: the reader must not care). */
    static Path zip(Path file, Map<String, byte[]> records) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : records.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return file;
    }

    /** Little-endian float32 bytes. */
    static byte[] floats(float... v) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) bb.putFloat(f);
        return bb.array();
    }
}
