package org.cd4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files: the 8-byte header length, the JSON header (compact, {@code __metadata__}
 * first, padded with spaces to a multiple of 8 bytes as the reference library does, so every
 * tensor's data stays 8-byte aligned), then each tensor's little-endian bytes.
 *
 * <p>Tensors are stored in the order the map gives; the format allows any order and keeping the
 * caller's order makes a read-then-write of a file reproduce it. Files are written to a temporary
 * name in the target folder and renamed into place, so a crash never leaves a half-written file
 * under the real name, and an existing file is only replaced when asked.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /**
     * Writes {@code tensors} (in iteration order) and {@code metadata} (may be null or empty: no
     * {@code __metadata__} entry) to a new file {@code path}.
     *
     * @throws FileAlreadyExistsException when {@code path} exists
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(path, tensors, metadata, false);
    }

    /**
     * Writes {@code tensors} (in iteration order) and {@code metadata} to {@code path}, replacing
     * an existing file only when {@code overwrite} is set.
     *
     * @throws FileAlreadyExistsException when {@code path} exists and {@code overwrite} is false
     * @throws IllegalArgumentException when a name is reserved or a tensor cannot be stored
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata,
                             boolean overwrite) throws IOException {
        List<String> names = new ArrayList<>(tensors.keySet());
        List<Tensor> dense = new ArrayList<>(names.size());
        for (String name : names) {
            if (name == null) throw new IllegalArgumentException("tensor names must not be null");
            if (name.equals("__metadata__")) {
                throw new IllegalArgumentException("'__metadata__' is reserved in safetensors and cannot name a tensor");
            }
            dense.add(TensorBytes.dense(tensors.get(name), "tensor '" + name + "'"));
        }
        byte[] header = header(names, dense, metadata);
        try {
            AtomicFiles.write(path, overwrite, out -> {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                out.write(header);
                for (Tensor t : dense) TensorBytes.write(t, out);
            });
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(path.toString(), null,
                    "already exists; choose another name or allow overwriting (--overwrite)");
        }
    }

    /** The padded JSON header for dense tensors {@code dense} named {@code names}. */
    static byte[] header(List<String> names, List<Tensor> dense, Map<String, String> metadata) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            for (Map.Entry<String, String> e : new LinkedHashMap<>(metadata).entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must not be null: " + e);
                }
                m.put(e.getKey(), e.getValue());
            }
        }
        long offset = 0;
        for (int i = 0; i < names.size(); i++) {
            Tensor t = dense.get(i);
            DType dt = TensorDTypes.of(t, "tensor '" + names.get(i) + "'");
            ObjectNode entry = root.putObject(names.get(i));
            entry.put("dtype", dt.safetensorsName);
            ArrayNode shape = entry.putArray("shape");
            for (long d : Tensors.shape(t)) shape.add(d);
            long n = TensorBytes.length(t);
            entry.putArray("data_offsets").add(offset).add(offset + n);
            offset += n;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode safetensors header", e);
        }
        int pad = (8 - json.length % 8) % 8;
        byte[] out = new byte[json.length + pad];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < out.length; i++) out[i] = ' ';
        return out;
    }
}
