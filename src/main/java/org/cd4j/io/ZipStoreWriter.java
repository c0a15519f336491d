package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A minimal ZIP writer laid out as PyTorch's {@code PyTorchStreamWriter} does: every record
 * STORED (uncompressed), its data starting at a multiple of 64 bytes thanks to a padding extra
 * field with id "FB" filled with 'Z', and ZIP64 fields wherever sizes or offsets pass 4 GiB.
 * Aligned, uncompressed storages are what lets torch memory-map them ({@code mmap=True}).
 *
 * <p>Sizes and CRCs are computed before each record is written, so the local headers are
 * complete (no data descriptors) and any ZIP reader, streaming or not, accepts the file. Times
 * are fixed at 1980-01-01 so the same content gives the same bytes.
 */
final class ZipStoreWriter {
    private static final int ALIGN = 64;
    private static final long MAX32 = 0xFFFFFFFFL;
    private static final int DOS_DATE_1980_01_01 = (1 << 5) | 1;

    private record Entry(byte[] name, long offset, long size, long crc) {}

    private final OutputStream out;
    private final boolean forceZip64;
    private final List<Entry> entries = new ArrayList<>();
    private long pos;

    /** @param forceZip64 write ZIP64 fields even for small archives (tests the large-file paths) */
    ZipStoreWriter(OutputStream out, boolean forceZip64) {
        this.out = out;
        this.forceZip64 = forceZip64;
    }

    /** Adds a record holding {@code data}. */
    void add(String name, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(data);
        header(name, data.length, crc.getValue());
        write(data);
    }

    /** Adds a record holding the bytes of a dense tensor (see {@link TensorBytes#dense}). */
    void add(String name, Tensor dense) throws IOException {
        header(name, TensorBytes.length(dense), TensorBytes.crc32(dense));
        CountingStream cs = new CountingStream();
        TensorBytes.write(dense, cs);
    }

    private void header(String name, long size, long crc) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        boolean zip64 = forceZip64 || size >= MAX32;
        Bytes h = new Bytes();
        h.u32(0x04034b50).u16(zip64 ? 45 : 20).u16(flags(name)).u16(0).u16(0).u16(DOS_DATE_1980_01_01);
        h.u32(crc).u32(zip64 ? MAX32 : size).u32(zip64 ? MAX32 : size);
        int zip64Len = zip64 ? 20 : 0;
        long start = pos + 30 + n.length + zip64Len + 4;
        int pad = (int) ((ALIGN - start % ALIGN) % ALIGN);
        h.u16(n.length).u16(zip64Len + 4 + pad).raw(n);
        if (zip64) h.u16(1).u16(16).u64(size).u64(size);
        h.raw(new byte[] {'F', 'B'}).u16(pad);
        for (int i = 0; i < pad; i++) h.u8('Z');
        entries.add(new Entry(n, pos, size, crc));
        write(h.toByteArray());
    }

    private static int flags(String name) {
        // bit 11: the name is UTF-8 (only needed, and only set, when it is not plain ASCII)
        return StandardCharsets.US_ASCII.newEncoder().canEncode(name) ? 0 : 0x0800;
    }

    /** Writes the central directory and end records; the archive is complete afterwards. */
    void finish() throws IOException {
        long cdStart = pos;
        for (Entry e : entries) {
            boolean bigSize = forceZip64 || e.size() >= MAX32;
            boolean bigOffset = forceZip64 || e.offset() >= MAX32;
            Bytes x = new Bytes();
            if (bigSize) x.u64(e.size()).u64(e.size());
            if (bigOffset) x.u64(e.offset());
            byte[] extra = x.toByteArray();
            boolean zip64 = extra.length > 0;
            Bytes c = new Bytes();
            c.u32(0x02014b50).u16((3 << 8) | (zip64 ? 45 : 20)).u16(zip64 ? 45 : 20)
                    .u16(flags(new String(e.name(), StandardCharsets.UTF_8))).u16(0).u16(0).u16(DOS_DATE_1980_01_01)
                    .u32(e.crc()).u32(bigSize ? MAX32 : e.size()).u32(bigSize ? MAX32 : e.size())
                    .u16(e.name().length).u16(zip64 ? extra.length + 4 : 0).u16(0).u16(0).u16(0).u32(0)
                    .u32(bigOffset ? MAX32 : e.offset()).raw(e.name());
            if (zip64) c.u16(1).u16(extra.length).raw(extra);
            write(c.toByteArray());
        }
        long cdSize = pos - cdStart;
        long count = entries.size();
        boolean zip64 = forceZip64 || count >= 0xFFFF || cdStart >= MAX32 || cdSize >= MAX32;
        Bytes end = new Bytes();
        if (zip64) {
            long z64 = pos;
            end.u32(0x06064b50).u64(44).u16((3 << 8) | 45).u16(45).u32(0).u32(0)
                    .u64(count).u64(count).u64(cdSize).u64(cdStart);
            end.u32(0x07064b50).u32(0).u64(z64).u32(1);
        }
        end.u32(0x06054b50).u16(0).u16(0)
                .u16(zip64 ? 0xFFFF : count).u16(zip64 ? 0xFFFF : count)
                .u32(zip64 ? MAX32 : cdSize).u32(zip64 ? MAX32 : cdStart).u16(0);
        write(end.toByteArray());
        out.flush();
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        pos += b.length;
    }

    /** Passes tensor bytes through while counting them. */
    private final class CountingStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            out.write(b);
            pos++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            pos += len;
        }
    }

    /** Little-endian field builder. */
    private static final class Bytes extends ByteArrayOutputStream {
        Bytes u8(int v) {
            write(v);
            return this;
        }

        Bytes u16(long v) {
            return u8((int) v).u8((int) (v >>> 8));
        }

        Bytes u32(long v) {
            return u16(v & 0xFFFF).u16(v >>> 16);
        }

        Bytes u64(long v) {
            return u32(v & MAX32).u32(v >>> 32);
        }

        Bytes raw(byte[] b) {
            writeBytes(b);
            return this;
        }
    }
}
