package org.cd4j.ldm;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.ldm.LdmKeys.Parts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fills a folder with a diffusers Stable Diffusion model: {@code model_index.json}; {@code unet/},
 * {@code vae/}, {@code text_encoder/} each with its {@code config.json} and safetensors weights
 * (dtypes kept as the checkpoint stores them); {@code scheduler/scheduler_config.json}; and
 * {@code tokenizer/} with the CLIP BPE vocabulary shipped in cd4j's resources, which SD-1.x and
 * SD-2.x share (single files carry no tokenizer).
 */
final class DiffusersFolderWriter {
    private static final String VOCAB = "/org/cd4j/text/clip/";
    private static final Map<String, String> FORMAT_PT = Map.of("format", "pt");

    private DiffusersFolderWriter() {}

    /** Writes the model into the existing, empty folder {@code dir}. */
    static void write(Path dir, ResolvedConfig config, Parts parts) throws IOException {
        ModelConfigs json = config.json();
        String schedulerClass = json.scheduler().path("_class_name").asText("PNDMScheduler");
        writeJson(dir.resolve("model_index.json"), SdDefaults.modelIndex(schedulerClass));
        part(dir.resolve("unet"), json.unet(), "diffusion_pytorch_model.safetensors", parts.unet());
        part(dir.resolve("vae"), json.vae(), "diffusion_pytorch_model.safetensors", parts.vae());
        part(dir.resolve("text_encoder"), json.textEncoder(), "model.safetensors", parts.textEncoder());
        Path sched = Files.createDirectories(dir.resolve("scheduler"));
        writeJson(sched.resolve("scheduler_config.json"), json.scheduler());
        Path tok = Files.createDirectories(dir.resolve("tokenizer"));
        for (String f : new String[]{"vocab.json", "merges.txt"}) {
            try (InputStream in = DiffusersFolderWriter.class.getResourceAsStream(VOCAB + f)) {
                if (in == null) throw new IllegalStateException("cd4j resource " + VOCAB + f + " is missing from the build");
                Files.copy(in, tok.resolve(f));
            }
        }
        writeJson(tok.resolve("tokenizer_config.json"), SdDefaults.tokenizerConfig(config.tower()));
        writeJson(tok.resolve("special_tokens_map.json"), SdDefaults.specialTokens(config.tower()));
    }

    private static void part(Path dir, JsonNode config, String weights, Map<String, Tensor> tensors) throws IOException {
        Files.createDirectories(dir);
        writeJson(dir.resolve("config.json"), config);
        SafetensorsWriter.write(dir.resolve(weights), tensors, FORMAT_PT);
    }

    private static void writeJson(Path file, JsonNode json) throws IOException {
        Files.writeString(file, ModelConfigs.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    }
}
