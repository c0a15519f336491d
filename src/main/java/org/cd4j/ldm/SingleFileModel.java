package org.cd4j.ldm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.io.AtomicFiles;
import org.cd4j.io.FormatException;
import org.cd4j.ldm.LdmKeys.Parts;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stable Diffusion 1.x/2.x single-file checkpoints ({@code .ckpt}, {@code .safetensors} in the
 * CompVis/LDM layout, as model sites distribute them) turned into diffusers folders, which is
 * what the rest of cd4j loads. The configuration is inferred from the weights
 * ({@link LdmInference}); what they cannot tell (v-prediction, attention upcast, image size) comes
 * from a model-config file ({@link ModelConfigs}) or the file's own metadata, and for an SD-2 file
 * that states none of it, from its Lightning step or its UNet's behaviour ({@link Sd2Variant}).
 */
public final class SingleFileModel {
    /** Bumped when conversion changes, so cached folders of older conversions are not reused. */
    private static final String CONVERSION = "cd4j-single-file-2";
    /** Provenance written into every converted folder. */
    static final String SOURCE_FILE = "cd4j_source.json";

    private SingleFileModel() {}

    /**
     * The diffusers folder of {@code checkpoint} under {@code cacheRoot}, converting it on the first
     * call. The folder is keyed by the file's content (SHA-256; the hash itself is cached by path,
     * size and modification time, so later calls are instant) and by the model config, and is
     * created atomically, so an interrupted conversion leaves nothing behind and concurrent calls
     * agree.
     *
     * @param modelConfigOrNull a model-config file (JSON, see {@link ModelConfigs}, or an LDM
     *                          {@code .yaml}); null: the {@code <name>.yaml} beside the checkpoint
     *                          if there is one
     * @throws FormatException when the file is corrupt or not an SD-1.x/2.x checkpoint
     */
    public static Path materialize(Path checkpoint, Path modelConfigOrNull, Path cacheRoot) throws IOException {
        return materialize(checkpoint, modelConfigOrNull, cacheRoot, note -> { });
    }

    /**
     * {@link #materialize(Path, Path, Path)}, telling {@code notes} what a first conversion left out
     * or decided (e.g. the prediction type of an SD-2 file that does not state it).
     */
    public static Path materialize(Path checkpoint, Path modelConfigOrNull, Path cacheRoot, Consumer<String> notes) throws IOException {
        Path configFile = configFile(checkpoint, modelConfigOrNull);
        ModelConfigs override = configFile == null ? ModelConfigs.none() : ModelConfigs.read(configFile);
        String sha = FileIdentity.sha256(checkpoint, cacheRoot);
        String variant = FileIdentity.sha256(CONVERSION + "\n" + override.toJson()).substring(0, 8);
        Path target = cacheRoot.resolve(FileIdentity.safeStem(checkpoint) + "-" + sha.substring(0, 16) + "-" + variant);
        if (Files.isRegularFile(target.resolve("model_index.json"))) return target;
        try {
            convert(checkpoint, override, describe(configFile, modelConfigOrNull), target, false, sha).forEach(notes);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isRegularFile(target.resolve("model_index.json"))) throw e; // something else is in the way
        }
        return target;
    }

    /**
     * Converts {@code checkpoint} into a new diffusers folder {@code output} (atomically; an
     * existing folder is replaced only with {@code overwrite}).
     *
     * @return notes for the user: which entries were left out and why
     */
    public static List<String> convert(Path checkpoint, Path modelConfigOrNull, Path output, boolean overwrite) throws IOException {
        Path configFile = configFile(checkpoint, modelConfigOrNull);
        ModelConfigs override = configFile == null ? ModelConfigs.none() : ModelConfigs.read(configFile);
        return convert(checkpoint, override, describe(configFile, modelConfigOrNull), output, overwrite, null);
    }

    /**
     * The model config to use: the one given, else an LDM {@code <name>.yaml} beside the
     * checkpoint (the convention of AUTOMATIC1111 and model sites), else none.
     */
    static Path configFile(Path checkpoint, Path given) {
        if (given != null) return given;
        String name = checkpoint.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path yaml = checkpoint.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".yaml");
        return Files.isRegularFile(yaml) ? yaml : null;
    }

    private static List<String> convert(Path checkpoint, ModelConfigs override, String overrideSource, Path output,
                                        boolean overwrite, String sha) throws IOException {
        List<String> notes = new ArrayList<>();
        try (LdmCheckpoint ckpt = LdmCheckpoint.open(checkpoint)) {
            ResolvedConfig resolved = ResolvedConfig.resolve(checkpoint, ckpt.shapes(), ckpt.metadata(), override, overrideSource);
            Parts parts = split(ckpt, resolved, notes);
            ResolvedConfig config = Sd2Variant.settle(resolved, ckpt.globalStep(), parts.unet(), notes);
            ObjectNode source = ModelConfigs.JSON.createObjectNode();
            source.put("source", checkpoint.toAbsolutePath().toString());
            source.put("size", Files.size(checkpoint));
            if (sha != null) source.put("sha256", sha);
            source.put("text_tower", config.tower().name().toLowerCase(java.util.Locale.ROOT));
            source.put("configuration", overrideSource);
            notes.forEach(source.withArray("notes")::add);
            AtomicFiles.writeFolder(output, overwrite, dir -> {
                DiffusersFolderWriter.write(dir, config, parts);
                Files.writeString(dir.resolve(SOURCE_FILE), source.toPrettyString() + "\n");
            });
        }
        return notes;
    }

    private static Parts split(LdmCheckpoint ckpt, ResolvedConfig config, List<String> notes) throws FormatException {
        try {
            return LdmKeys.toDiffusers(ckpt.tensors(), config.unet(), config.vae(), config.tower(),
                    config.text().numHiddenLayers(), notes);
        } catch (IllegalArgumentException e) {
            throw new FormatException(ckpt.file(), e.getMessage(), e);
        }
    }

    private static String describe(Path used, Path given) {
        if (used == null) return "no --model-config";
        return given != null ? "--model-config " + given : "the config beside it, " + used.getFileName();
    }
}
