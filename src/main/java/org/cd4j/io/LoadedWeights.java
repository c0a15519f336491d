package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;

/**
 * A flat name-to-tensor map loaded by {@link WeightFile}. For a safetensors file the tensors are
 * zero-copy views of the memory-mapped file, valid until {@link #close()}: copy what you keep
 * (loading into module parameters does). Tensors from a torch file own their memory and outlive
 * this object.
 */
public final class LoadedWeights implements AutoCloseable {
    private final Path path;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final AutoCloseable resource;

    LoadedWeights(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, AutoCloseable resource) {
        this.path = path;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.resource = resource;
    }

    /** The file the weights came from. */
    public Path path() {
        return path;
    }

    /** Tensors by name, in file order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** One tensor; the error names the file when it is absent. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(path + " has no tensor '" + name + "'");
        return t;
    }

    /** The safetensors {@code __metadata__} (empty for torch files). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Releases the file; safetensors views must not be used afterwards. */
    @Override
    public void close() throws IOException {
        if (resource == null) return;
        try {
            resource.close();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
