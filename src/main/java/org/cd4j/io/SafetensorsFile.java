package org.cd4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file (u64-LE header length, JSON header, raw little-endian data).
 * Tensors are zero-copy views of the mapping, valid while this object is open.
 * (Minimal first version; hardening against hostile headers follows.)
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Where one tensor lies in the file. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {}

    private final Path path;
    private final FileChannel channel;
    private final MappedByteBuffer data;
    private final Map<String, TensorInfo> infos;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, MappedByteBuffer data,
                            Map<String, TensorInfo> infos, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.data = data;
        this.infos = infos;
        this.metadata = metadata;
    }

    /** Opens and maps {@code path}, parsing its header. */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long n = lenBuf.flip().getLong();
            byte[] header = new byte[(int) n];
            ch.read(ByteBuffer.wrap(header), 8);
            JsonNode root = new ObjectMapper().readTree(new String(header, StandardCharsets.UTF_8));
            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode v = e.getValue();
                DType dt = DType.fromSafetensorsName(v.get("dtype").asText());
                long[] shape = new long[v.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = v.get("shape").get(i).asLong();
                infos.put(e.getKey(), new TensorInfo(e.getKey(), dt, shape,
                        v.get("data_offsets").get(0).asLong(), v.get("data_offsets").get(1).asLong()));
            }
            MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 8 + n, size - 8 - n);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            return new SafetensorsFile(path, ch, mapped, infos, meta);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> keys() {
        return Collections.unmodifiableList(new ArrayList<>(infos.keySet()));
    }

    public TensorInfo info(String key) {
        TensorInfo i = infos.get(key);
        if (i == null) throw new IllegalArgumentException(path + " has no tensor '" + key + "'");
        return i;
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** A zero-copy view of one tensor, valid while this file is open. */
    public Tensor tensor(String key) {
        TensorInfo i = info(key);
        ByteBuffer slice = data.duplicate().position((int) i.begin()).limit((int) i.end()).slice().order(ByteOrder.LITTLE_ENDIAN);
        return Tensors.viewOf(slice, i.dtype(), i.shape());
    }

    /** Views of every tensor, in header order. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : infos.keySet()) out.put(k, tensor(k));
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
