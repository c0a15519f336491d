package org.cd4j.io;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * The raw bytes of a tensor as the file formats store them (C order, little-endian), streamed
 * from native memory in pieces so tensors of any size are written without a Java array of their
 * size.
 */
final class TensorBytes {
    private static final long PIECE = 1L << 20;

    private TensorBytes() {}

    /**
     * A dense, C-ordered CPU tensor with the same values (the tensor itself when it already is
     * one). {@code what} names the tensor in errors.
     */
    static Tensor dense(Tensor t, String what) {
        if (t == null || !t.defined()) throw new IllegalArgumentException(what + " is not a defined tensor");
        if (t.is_sparse() || t.is_quantized() || t.is_meta()) {
            throw new IllegalArgumentException(what + " is a sparse, quantized or meta tensor; expected a dense tensor");
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("cd4j writes weights only on little-endian machines");
        }
        TensorDTypes.of(t, what);
        Tensor c = t.detach();
        if (!c.is_cpu()) c = c.cpu();
        if (c.is_conj() || c.is_neg()) c = c.clone(); // lazy conjugate/negative views must be materialised
        return c.contiguous();
    }

    /** Byte count of a dense tensor's data. */
    static long length(Tensor dense) {
        return dense.nbytes();
    }

    /** Writes the bytes of a tensor from {@link #dense} to {@code out}. */
    static void write(Tensor dense, OutputStream out) throws IOException {
        long n = dense.nbytes();
        if (n == 0) return;
        BytePointer p = new BytePointer(dense.data_ptr()).capacity(n);
        byte[] buf = new byte[(int) Math.min(PIECE, n)];
        for (long off = 0; off < n; off += buf.length) {
            int len = (int) Math.min(buf.length, n - off);
            p.position(off).get(buf, 0, len);
            out.write(buf, 0, len);
        }
    }

    /** CRC-32 of the bytes of a tensor from {@link #dense} (for ZIP entries). */
    static long crc32(Tensor dense) {
        long n = dense.nbytes();
        CRC32 crc = new CRC32();
        if (n == 0) return crc.getValue();
        BytePointer p = new BytePointer(dense.data_ptr()).capacity(n);
        for (long off = 0; off < n; off += 1L << 30) {
            long len = Math.min(1L << 30, n - off);
            ByteBuffer b = p.position(off).limit(off + len).asByteBuffer();
            crc.update(b);
        }
        return crc.getValue();
    }
}
