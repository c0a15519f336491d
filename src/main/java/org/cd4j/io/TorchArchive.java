package org.cd4j.io;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The ZIP container written by {@code torch.save} (torch >= 1.6): records {@code <prefix>/data.pkl}
 * (the pickle), {@code <prefix>/data/<key>} (one raw storage each), {@code <prefix>/version} and,
 * since torch 2.x, {@code <prefix>/byteorder}. The prefix is whatever folder the first record is
 * in, as torch's own reader decides; torch names it after the file or {@code archive}.
 */
final class TorchArchive implements Closeable {
    /** The largest pickle we read into memory (real ones, even of huge state dicts, are a few MB). */
    private static final long MAX_PICKLE_BYTES = 512L << 20;

    final Path file;
    private final ZipFile zip;
    final String prefix;
    private final boolean bigEndian;
    private final long fileSize;

    private TorchArchive(Path file, ZipFile zip, String prefix, boolean bigEndian, long fileSize) {
        this.file = file;
        this.zip = zip;
        this.prefix = prefix;
        this.bigEndian = bigEndian;
        this.fileSize = fileSize;
    }

    static TorchArchive open(Path file) throws IOException {
        long size = Files.size(file);
        sniff(file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new FormatException(file, "is not a readable ZIP archive (" + e.getMessage()
                    + "), expected a torch.save file; it may be truncated or corrupt", e);
        }
        try {
            Enumeration<? extends ZipEntry> en = zip.entries();
            if (!en.hasMoreElements()) throw new FormatException(file, "is an empty ZIP archive, expected a torch.save file");
            String first = en.nextElement().getName();
            int slash = first.indexOf('/');
            if (slash < 0) {
                throw new FormatException(file, "has a record '" + first + "' outside any folder, expected "
                        + "'<name>/data.pkl' as torch.save writes");
            }
            String prefix = first.substring(0, slash + 1);
            if (zip.getEntry(prefix + "data.pkl") == null) {
                String what = zip.getEntry(prefix + "constants.pkl") != null || zip.getEntry(prefix + "code/") != null
                        ? " (it looks like a TorchScript archive from torch.jit.save, which cd4j does not read)" : "";
                throw new FormatException(file, "has no record '" + prefix + "data.pkl', expected a torch.save file" + what);
            }
            boolean big = false;
            ZipEntry bo = zip.getEntry(prefix + "byteorder");
            if (bo != null) {
                String order = new String(readSmall(zip, bo, file, 16), StandardCharsets.US_ASCII).trim();
                if (!order.equals("little") && !order.equals("big")) {
                    throw new FormatException(file, "record '" + bo.getName() + "' says '" + order + "', expected 'little' or 'big'");
                }
                big = order.equals("big");
            }
            return new TorchArchive(file, zip, prefix, big, size);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** Recognises files that are not ZIP archives, to say what they are instead. */
    private static void sniff(Path file) throws IOException {
        byte[] head = new byte[16];
        int n;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(head);
            while (b.hasRemaining() && ch.read(b) > 0) { /* fill */ }
            n = b.position();
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5)) return;
        if (n >= 9 && head[8] == '{') {
            throw new FormatException(file, "looks like a safetensors file, expected a torch.save ZIP archive; "
                    + "read it with SafetensorsFile");
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80) {
            throw new FormatException(file, "is in the legacy torch.save format (pre-1.6), which cd4j does not read; "
                    + "expected a ZIP-based torch.save file: re-save it with torch>=1.6 (torch.save(torch.load(f), f))");
        }
        String text = new String(head, 0, n, StandardCharsets.ISO_8859_1);
        if (text.startsWith("version ")) {
            throw new FormatException(file, "is a text file starting with 'version ' (probably a Git LFS pointer), "
                    + "expected the weights themselves; fetch them with 'git lfs pull'");
        }
        throw new FormatException(file, "does not start with 'PK', so it is not a ZIP archive; "
                + "expected a torch.save .bin/.pt/.ckpt file");
    }

    /** Name of the pickle record. */
    String pickleName() {
        return prefix + "data.pkl";
    }

    /** The pickle's bytes. */
    byte[] pickle() throws IOException {
        return readSmall(zip, zip.getEntry(pickleName()), file, MAX_PICKLE_BYTES);
    }

    private static byte[] readSmall(ZipFile zip, ZipEntry e, Path file, long max) throws IOException {
        if (e.getSize() > max) {
            throw new FormatException(file, "record '" + e.getName() + "' is " + e.getSize() + " bytes, expected at most " + max);
        }
        if (e.getMethod() != ZipEntry.STORED && e.getSize() > Math.max(e.getCompressedSize(), 0) * 1100L) {
            throw new FormatException(file, "record '" + e.getName() + "' claims to inflate " + e.getCompressedSize()
                    + " bytes to " + e.getSize() + ", more than deflate can; the file is corrupt");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) Math.min(max, e.getSize() < 0 ? max : e.getSize()));
            if (e.getSize() >= 0 && b.length != e.getSize()) {
                throw new FormatException(file, "record '" + e.getName() + "' ends early (" + b.length + " of "
                        + e.getSize() + " bytes); the file may be truncated");
            }
            return b;
        } catch (ZipException ex) {
            throw new FormatException(file, "record '" + e.getName() + "' cannot be read (" + ex.getMessage() + ")", ex);
        }
    }

    /**
     * Reads storage {@code key}, declared by the pickle as {@code numel} elements of
     * {@code dtype}, into a new 1-d tensor, after checking the record holds exactly that many
     * bytes (so a hostile element count never drives the allocation).
     */
    Tensor storage(String key, DType dtype, long numel) throws IOException {
        String name = prefix + "data/" + key;
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new FormatException(file, "the pickle refers to storage '" + key + "' but there is no record '"
                    + name + "'; the file is incomplete or corrupt");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, (long) dtype.size);
        } catch (ArithmeticException ex) {
            expected = -1;
        }
        if (numel < 0 || expected != e.getSize()) {
            throw new FormatException(file, "record '" + name + "' holds " + e.getSize() + " bytes, expected "
                    + (expected < 0 ? "more than any file holds" : expected) + " for the " + numel + " " + dtype
                    + " elements the pickle declares");
        }
        // Stored records cannot be larger than the file; compressed ones (torch never compresses
        // storages) no more than deflate's maximum ratio allows.
        long limit = e.getMethod() == ZipEntry.STORED ? fileSize : Math.max(e.getCompressedSize(), 0) * 1100L;
        if (expected > limit) {
            throw new FormatException(file, "record '" + name + "' claims " + expected + " bytes, more than the "
                    + fileSize + "-byte file can hold; the file is corrupt");
        }
        Tensor t = torch.empty(new long[] {numel}, Tensors.options(dtype), new MemoryFormatOptional());
        if (expected == 0) return t;
        BytePointer p = new BytePointer(t.data_ptr()).capacity(expected);
        byte[] buf = new byte[(int) Math.min(1 << 20, expected)];
        try (InputStream in = zip.getInputStream(e)) {
            long off = 0;
            while (off < expected) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, expected - off));
                if (r < 0) throw new EOFException();
                p.position(off).put(buf, 0, r);
                off += r;
            }
        } catch (EOFException | ZipException ex) {
            throw new FormatException(file, "record '" + name + "' cannot be read completely; the file may be truncated", ex);
        }
        if (bigEndian && dtype.size > 1) swapBytes(p.position(0), expected, dtype.size);
        return t;
    }

    /** Converts big-endian elements (a file saved on a big-endian machine) to little-endian. */
    private static void swapBytes(BytePointer p, long n, int size) {
        byte[] a = new byte[size];
        for (long i = 0; i < n; i += size) {
            p.position(i).get(a, 0, size);
            for (int j = 0; j < size / 2; j++) {
                byte x = a[j];
                a[j] = a[size - 1 - j];
                a[size - 1 - j] = x;
            }
            p.position(i).put(a, 0, size);
        }
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
