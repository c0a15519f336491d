package org.cd4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.hub.HubCache;
import org.cd4j.hub.RepoId;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A diffusers Stable Diffusion folder ({@code model_index.json}, {@code unet/}, {@code vae/},
 * {@code text_encoder/}, {@code tokenizer/}, {@code scheduler/}), checked before anything heavy
 * is loaded so that a wrong or incomplete folder gives one clear message.
 */
public record ModelFolder(Path dir, String pipelineClass) {
    static final List<String> PARTS = List.of("unet", "vae", "text_encoder", "tokenizer", "scheduler");
    static final Set<String> PIPELINES = Set.of("StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline",
            "StableDiffusionInpaintPipeline", "CustomDiffusionPipeline", "StableDiffusionControlNetPipeline");
    static final Set<String> TEXT_ENCODERS = Set.of("CLIPTextModel", "CLIPTextModelWithProjection");

    /** Checks the folder layout and {@code model_index.json}. */
    public static ModelFolder open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model folder " + dir + " does not exist (expected a diffusers Stable Diffusion folder)");
        }
        Path index = dir.resolve("model_index.json");
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException(index + " is missing: " + dir + " is not a diffusers model folder");
        }
        String cls = checkIndex(index);
        List<String> missing = new ArrayList<>();
        for (String p : PARTS) {
            if (!Files.isDirectory(dir.resolve(p))) missing.add(p + "/");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("model folder " + dir + " is incomplete: missing " + String.join(", ", missing));
        }
        return new ModelFolder(dir, cls);
    }

    /**
     * Checks a {@code model_index.json} on its own (before the parts it names exist, e.g. while a
     * hub download is under way) and returns its pipeline class.
     *
     * @throws IllegalArgumentException naming the file and what is wrong
     */
    public static String checkIndex(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(index + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(index + " must hold a JSON object");
        String cls = root.path("_class_name").asText("");
        if (!PIPELINES.contains(cls)) {
            throw new IllegalArgumentException(index + ": _class_name '" + cls + "' is not a Stable Diffusion 1.x/2.x pipeline"
                    + " (expected StableDiffusionPipeline)");
        }
        checkComponent(index, root, "unet", Set.of("UNet2DConditionModel"));
        checkComponent(index, root, "vae", Set.of("AutoencoderKL"));
        checkComponent(index, root, "text_encoder", TEXT_ENCODERS);
        checkComponent(index, root, "tokenizer", Set.of("CLIPTokenizer", "CLIPTokenizerFast"));
        return cls;
    }

    /** How a model folder is named to people: {@code org/name} for a hub snapshot, else the folder's name. */
    public static String displayName(Path dir) {
        Optional<RepoId> repo = HubCache.repoOfSnapshot(dir);
        if (repo.isPresent()) return repo.get().toString();
        Path n = dir.toAbsolutePath().normalize().getFileName();
        return n == null ? dir.toString() : n.toString();
    }

    private static void checkComponent(Path index, JsonNode root, String name, Set<String> allowed) {
        JsonNode c = root.get(name);
        if (c == null || !c.isArray() || c.size() != 2) {
            throw new IllegalArgumentException(index + ": entry '" + name + "' is missing (expected [library, class])");
        }
        String cls = c.get(1).asText("");
        if (!allowed.contains(cls)) {
            throw new IllegalArgumentException(index + ": " + name + " class '" + cls + "' is not supported (expected "
                    + String.join(" or ", allowed) + ")");
        }
    }

    public Path unet() {
        return dir.resolve("unet");
    }

    public Path vae() {
        return dir.resolve("vae");
    }

    public Path textEncoder() {
        return dir.resolve("text_encoder");
    }

    public Path tokenizer() {
        return dir.resolve("tokenizer");
    }

    public Path schedulerConfig() {
        return dir.resolve("scheduler").resolve("scheduler_config.json");
    }
}
