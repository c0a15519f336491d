package org.cd4j.ldm;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a single-file checkpoint: a {@code .safetensors} file (memory-mapped, its
 * {@code __metadata__} kept) or a {@code torch.save} {@code .ckpt}, read with the safe pickle
 * reader (nothing in it is ever run), whose weights sit under {@code state_dict} (Lightning) or at
 * the top level, with Lightning's {@code global_step} beside them. Which of the two a file is, its
 * first bytes decide, not its extension.
 */
final class LdmCheckpoint implements AutoCloseable {
    private final Path file;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final Long globalStep;
    private final SafetensorsFile mapped;

    private LdmCheckpoint(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, Long globalStep,
                          SafetensorsFile mapped) {
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
        this.globalStep = globalStep;
        this.mapped = mapped;
    }

    /**
     * Opens {@code file}.
     *
     * @throws FormatException when it is neither a readable safetensors nor torch file, or holds no tensors
     */
    static LdmCheckpoint open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "checkpoint not found");
        if (WeightFile.detect(file) == WeightFile.Format.SAFETENSORS) {
            SafetensorsFile f = SafetensorsFile.open(file);
            return new LdmCheckpoint(file, f.tensors(), f.metadata(), null, f);
        }
        Map<String, Object> root = TorchPickleReader.readDict(file, TorchPickleReader.Mode.LENIENT);
        Object sd = root.get("state_dict") instanceof Map<?, ?> m ? m : root;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) sd).entrySet()) {
            if (e.getValue() instanceof Tensor t) tensors.put((String) e.getKey(), t);
        }
        if (tensors.isEmpty()) {
            throw new FormatException(file, "holds no tensors " + (sd == root ? "at the top level" : "under 'state_dict'")
                    + "; its keys are " + abbreviate(((Map<?, ?>) sd).keySet().toString()));
        }
        // Lightning saves the training step beside the weights; it tells Stability's own SD-2 releases apart
        Long step = root.get("global_step") instanceof Long l ? l : null;
        return new LdmCheckpoint(file, tensors, Map.of(), step, null);
    }

    Path file() {
        return file;
    }

    /** Every tensor by name, in file order (views of the mapped file for safetensors). */
    Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The safetensors {@code __metadata__}; empty for torch files. */
    Map<String, String> metadata() {
        return metadata;
    }

    /** The Lightning {@code global_step} a {@code .ckpt} records at its top level, or null (always for safetensors). */
    Long globalStep() {
        return globalStep;
    }

    /** Every tensor's shape by name. */
    Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, Tensors.shape(t)));
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }

    @Override
    public void close() throws IOException {
        if (mapped != null) mapped.close();
    }
}
