package org.cd4j.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The mini model's architecture as diffusers configuration files (resources under
 * {@code org/cd4j/pretrain/mini/}), with the real CLIP BPE vocabulary: what {@code cd4j pretrain}
 * lays out in its output folder before training fills the weights in.
 */
public final class MiniModelFiles {
    private static final String BASE = "/org/cd4j/pretrain/mini/";
    private static final String CLIP = "/org/cd4j/text/clip/";
    static final List<String> CONFIGS = List.of("model_index.json", "unet/config.json", "vae/config.json",
            "text_encoder/config.json", "scheduler/scheduler_config.json",
            "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json");

    private MiniModelFiles() {}

    /** Writes one configuration file (a name of {@link #CONFIGS}) into {@code dir}, replacing it. */
    static void writeConfig(Path dir, String name) throws IOException {
        copy(BASE + name, dir.resolve(name));
    }

    /** Writes the tokenizer's vocabulary and merges into {@code dir/tokenizer}. */
    static void writeVocabulary(Path dir) throws IOException {
        copy(CLIP + "vocab.json", dir.resolve("tokenizer/vocab.json"));
        copy(CLIP + "merges.txt", dir.resolve("tokenizer/merges.txt"));
    }

    /** Sets {@code scaling_factor} in {@code dir/vae/config.json}. */
    static void setScalingFactor(Path dir, double factor) throws IOException {
        // five significant digits, as SD's 0.18215
        edit(dir.resolve("vae/config.json"),
                root -> root.put("scaling_factor", Double.parseDouble(String.format(java.util.Locale.ROOT, "%.5g", factor))));
    }

    /**
     * Marks {@code dir/scheduler/scheduler_config.json} as a zero-terminal-SNR v-prediction model
     * ({@link ZeroSnrConfig}) sampled on trailing timesteps, with DPM-Solver++ as its sampler:
     * PNDM cannot follow such a schedule.
     */
    static void setZeroSnr(Path dir) throws IOException {
        edit(dir.resolve("scheduler/scheduler_config.json"), root -> {
            root.put("_class_name", "DPMSolverMultistepScheduler");
            root.put("prediction_type", "v_prediction");
            root.put("rescale_betas_zero_snr", true);
            root.put("timestep_spacing", "trailing");
            // PNDM's fields mean nothing to DPM-Solver
            root.remove(java.util.List.of("skip_prk_steps", "set_alpha_to_one"));
        });
    }

    /** Rewrites one JSON config file in place (atomically) after {@code change}. */
    private static void edit(Path file, java.util.function.Consumer<ObjectNode> change) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        change.accept(root);
        byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        AtomicFiles.write(file, true, out -> out.write(bytes));
    }

    private static void copy(String resource, Path target) throws IOException {
        byte[] bytes;
        try (InputStream in = MiniModelFiles.class.getResourceAsStream(resource)) {
            if (in == null) throw new UncheckedIOException(new IOException("resource " + resource + " is missing from the cd4j jar"));
            bytes = in.readAllBytes();
        }
        AtomicFiles.write(target, true, out -> out.write(bytes));
    }
}
