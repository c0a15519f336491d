package org.cd4j.io;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file: an 8-byte little-endian header length {@code N}, {@code N}
 * bytes of UTF-8 JSON ({@code {"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}}),
 * then the raw little-endian tensor data.
 *
 * <p>{@link #open} validates the whole header the way the reference Rust {@code safetensors}
 * crate does (header at most 100 MB, tensors tiling the data region exactly, in any header order,
 * without holes, overlaps or trailing bytes) plus what Java needs (no duplicate names, string
 * metadata), so a corrupt or hostile file fails there with a {@link FormatException} naming the
 * file, never later inside libtorch.
 *
 * <p>{@link #tensor} returns a zero-copy view of the mapping, valid while this object is open and
 * reachable; loaders copy views into their parameters. The data region is mapped in pieces of at
 * most 2 GiB (Java's buffer limit) cut at tensor boundaries, so files of any size open; a single
 * tensor larger than 2 GiB, or one whose bytes are misaligned for its dtype, is copied instead.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Where one tensor lies: {@code [begin, end)} are byte offsets into the data region. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        /** Number of bytes of the tensor's data. */
        public long byteLength() {
            return end - begin;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
        }
    }

    /** Largest piece of the file mapped as one buffer. */
    private static final long MAX_CHUNK = Integer.MAX_VALUE;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;
    /** Mapped pieces of the data region and the data offset each starts at. */
    private final List<MappedByteBuffer> chunks = new ArrayList<>();
    private final List<Long> chunkStarts = new ArrayList<>();
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    /**
     * Opens and maps {@code path}, validating its header.
     *
     * @throws FormatException when the file is not a valid safetensors file (the message says why)
     * @throws IOException when it cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new FormatException(path, "file is " + size + " bytes long, expected at least 8 "
                        + "(a safetensors file starts with an 8-byte header length)");
            }
            ByteBuffer first = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, first, 0, path);
            sniffOtherFormats(path, first.array());
            long n = first.getLong(0);
            // Unsigned: a negative long is a length above 2^63, which is absurd as well.
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new FormatException(path, "header length " + Long.toUnsignedString(n)
                        + " is larger than 100 MB, expected a safetensors header (is this a safetensors file?)");
            }
            if (n > size - 8) {
                throw new FormatException(path, "header length " + n + " exceeds the file size "
                        + size + ", expected at most " + (size - 8) + " (the file may be truncated)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8, path);
            SafetensorsHeader header = SafetensorsHeader.parse(path, hb.array(), size - 8 - n);
            SafetensorsFile f = new SafetensorsFile(path, ch, 8 + n, header);
            f.mapChunks();
            return f;
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    /** Gives a helpful message for files users commonly mistake for safetensors. */
    private static void sniffOtherFormats(Path path, byte[] first8) throws FormatException {
        String s = new String(first8, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (s.startsWith("PK\3\4") || s.startsWith("PK\5\6")) {
            throw new FormatException(path, "is a ZIP archive (a torch.save .bin/.pt/.ckpt file), "
                    + "expected a safetensors file; read it with TorchPickleReader");
        }
        if ((first8[0] & 0xff) == 0x80 && first8[1] == 2 && (first8[2] & 0xff) == 0x8a && first8[3] == 10) {
            // the pickled magic number 0x1950a86a20f9469cfc6c that legacy torch.save files begin with
            throw new FormatException(path, "is a legacy torch.save file (pre-1.6), expected a safetensors file");
        }
        if (s.startsWith("version ")) {
            throw new FormatException(path, "is a text file starting with 'version ' (probably a Git LFS "
                    + "pointer), expected the weights themselves; fetch them with 'git lfs pull'");
        }
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long pos, Path path) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) throw new FormatException(path, "file ends early at byte " + pos + ", expected more data");
            pos += r;
        }
    }

    /**
     * Maps the data region in as few pieces as possible, each at most 2 GiB and starting at a
     * tensor's first byte, so every tensor of at most 2 GiB lies wholly inside one piece.
     */
    private void mapChunks() throws IOException {
        long chunkStart = -1;
        long chunkEnd = -1;
        for (TensorInfo i : header.byOffset()) {
            if (i.byteLength() == 0 || i.byteLength() > MAX_CHUNK) continue;
            if (chunkStart >= 0 && i.end() - chunkStart <= MAX_CHUNK) {
                chunkEnd = i.end();
                continue;
            }
            if (chunkStart >= 0) addChunk(chunkStart, chunkEnd);
            chunkStart = i.begin();
            chunkEnd = i.end();
        }
        if (chunkStart >= 0) addChunk(chunkStart, chunkEnd);
    }

    private void addChunk(long begin, long end) throws IOException {
        MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
        m.order(ByteOrder.LITTLE_ENDIAN);
        chunks.add(m);
        chunkStarts.add(begin);
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> keys() {
        return Collections.unmodifiableList(new ArrayList<>(header.infos().keySet()));
    }

    /** Whether the file holds a tensor of this name. */
    public boolean contains(String key) {
        return header.infos().containsKey(key);
    }

    /** Where a tensor lies, its dtype and shape. */
    public TensorInfo info(String key) {
        TensorInfo i = header.infos().get(key);
        if (i == null) throw new IllegalArgumentException(path + " has no tensor '" + key + "'");
        return i;
    }

    /** The {@code __metadata__} map (empty when absent), in header order. */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(header.metadata());
    }

    /**
     * A zero-copy view of one tensor, valid while this file is open. Tensors larger than 2 GiB or
     * misaligned for their dtype are returned as owned copies instead.
     */
    public Tensor tensor(String key) {
        if (closed) throw new IllegalStateException(path + " is closed");
        TensorInfo i = info(key);
        if (i.byteLength() == 0) {
            return torch.empty(i.shape(), Tensors.options(i.dtype()), new MemoryFormatOptional());
        }
        if (i.byteLength() > MAX_CHUNK) return readCopy(i);
        int c = chunkIndex(i.begin());
        long rel = i.begin() - chunkStarts.get(c);
        ByteBuffer slice = chunks.get(c).duplicate().position((int) rel)
                .limit((int) (rel + i.byteLength())).slice().order(ByteOrder.LITTLE_ENDIAN);
        // libtorch kernels assume elements aligned to their size; the mapping keeps file-offset
        // alignment modulo the page size, so the file offset decides.
        boolean aligned = (dataStart + i.begin()) % i.dtype().size == 0;
        return aligned ? Tensors.viewOf(slice, i.dtype(), i.shape()) : Tensors.copyOf(slice, i.dtype(), i.shape());
    }

    private int chunkIndex(long begin) {
        int idx = Collections.binarySearch(chunkStarts, begin);
        return idx >= 0 ? idx : -idx - 2;
    }

    /** Reads a tensor too large for one Java buffer straight into a new tensor's memory. */
    private Tensor readCopy(TensorInfo i) {
        Tensor t = torch.empty(i.shape(), Tensors.options(i.dtype()), new MemoryFormatOptional());
        BytePointer p = new BytePointer(t.data_ptr()).capacity(i.byteLength());
        try {
            for (long off = 0; off < i.byteLength(); off += 1L << 30) {
                long len = Math.min(1L << 30, i.byteLength() - off);
                ByteBuffer dst = p.position(off).limit(off + len).asByteBuffer();
                readFully(channel, dst, dataStart + i.begin() + off, path);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(path + ": cannot read tensor '" + i.name() + "'", e);
        }
        return t;
    }

    /** Views of every tensor, in header order. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (String k : header.infos().keySet()) out.put(k, tensor(k));
        return out;
    }

    /**
     * Closes the file. Views handed out must not be used afterwards (the mapping is released when
     * this object is garbage collected).
     */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }
}
