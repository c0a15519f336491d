package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.ldm.FolderWeights;
import org.cd4j.ldm.SingleFileWriter;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A concept for AUTOMATIC1111's web UI: the base model with the delta's weights merged in, as one
 * CompVis-layout {@code .safetensors} checkpoint ({@link SingleFileWriter}), and each modifier
 * token as a textual-inversion embedding {@code embeddings/<token>.safetensors} beside it, which
 * A1111 picks up under the token's name. Merged weights are {@link DeltaWeight#applied} at
 * strength 1 (a full weight is the trained {@code W} itself; a low-rank one {@code W0 + u@v}), in
 * the base model's dtype. The text encoder stays the base one: A1111 adds tokens from embedding
 * files, not from the checkpoint.
 */
public final class WebuiExport {
    /** The folder beside the checkpoint the embeddings go to (A1111's {@code embeddings/}). */
    public static final String EMBEDDINGS = "embeddings";

    private WebuiExport() {}

    /**
     * Writes the checkpoint {@code output} and the embeddings; nothing is written when any of the
     * files exists and {@code overwrite} is false.
     *
     * @param source the delta's file name, for messages
     * @return the files written: the checkpoint, then one embedding per token
     * @throws IllegalArgumentException when the delta does not fit the model
     */
    public static List<Path> write(Path modelDir, ConceptDelta delta, String source, Path output, boolean overwrite)
            throws IOException {
        Path embeddings = output.toAbsolutePath().getParent().resolve(EMBEDDINGS);
        List<Path> files = new ArrayList<>(List.of(output));
        for (String token : delta.tokens().keySet()) files.add(TokenFiles.a1111File(embeddings, token));
        if (!overwrite) {
            for (Path f : files) if (Files.exists(f)) throw new FileAlreadyExistsException(f.toString());
        }
        try (BaseModel base = BaseModel.open(modelDir); FolderWeights model = FolderWeights.open(modelDir)) {
            DeltaApplier.checkShapes(delta, base, source);
            Map<String, Tensor> merged = new LinkedHashMap<>();
            for (Map.Entry<String, DeltaWeight> e : delta.weights().entrySet()) {
                merged.put(e.getKey(), e.getValue().applied(model.unet().get(e.getKey()), 1.0));
            }
            SingleFileWriter.write(model, merged, output, overwrite);
        }
        for (Map.Entry<String, Tensor> t : delta.tokens().entrySet()) TokenFiles.writeA1111(embeddings, t.getKey(), t.getValue(), overwrite);
        return files;
    }
}
