package org.cd4j.ldm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.Rng;
import org.cd4j.pipeline.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Tiny diffusers folders that a single file can stand for: tiny-sd1's weights with a text
 * encoder over the real 49 408-token CLIP vocabulary (single files carry no tokenizer, so cd4j
 * supplies that one), and an SD-2-shaped variant (linear proj_in/proj_out, GELU "OpenCLIP" text
 * tower, "!" padding, v-prediction, upcast attention).
 */
public final class TinyModels {
    private TinyModels() {}

    /** tiny-sd1 with a seeded (49408, 32) token embedding and the real CLIP tokenizer. */
    public static Path sd1(Path dir) throws IOException {
        copyTree(Fixtures.tinySd1(), dir);
        Path te = dir.resolve("text_encoder");
        Map<String, Tensor> w = load(te.resolve("model.safetensors"));
        w.put("text_model.embeddings.token_embedding.weight", Rng.seeded(7).randn(new long[]{ResolvedConfig.CLIP_VOCAB, 32}));
        save(te.resolve("model.safetensors"), w);
        editJson(te.resolve("config.json"), c -> c.put("vocab_size", ResolvedConfig.CLIP_VOCAB));
        Path tok = dir.resolve("tokenizer");
        for (String f : new String[]{"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
            Files.copy(Fixtures.path("../clip-tokenizer/" + f), tok.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    /** {@link #sd1} reshaped the way SD-2 differs from SD-1. */
    public static Path sd2(Path dir) throws IOException {
        sd1(dir);
        Path unet = dir.resolve("unet");
        Map<String, Tensor> w = load(unet.resolve("diffusion_pytorch_model.safetensors"));
        w.replaceAll((k, t) -> (k.endsWith("proj_in.weight") || k.endsWith("proj_out.weight")) ? t.view(t.size(0), t.size(1)) : t);
        save(unet.resolve("diffusion_pytorch_model.safetensors"), w);
        editJson(unet.resolve("config.json"), c -> {
            c.put("use_linear_projection", true);
            c.put("upcast_attention", true);
            c.putArray("attention_head_dim").add(2).add(4); // per-block head counts, as SD-2's config lists them
        });
        editJson(dir.resolve("text_encoder/config.json"), c -> c.put("hidden_act", "gelu"));
        editJson(dir.resolve("scheduler/scheduler_config.json"), c -> c.put("prediction_type", "v_prediction"));
        editJson(dir.resolve("tokenizer/special_tokens_map.json"), c -> c.put("pad_token", "!"));
        editJson(dir.resolve("tokenizer/tokenizer_config.json"), c -> c.put("pad_token", "!"));
        return dir;
    }

    public static Map<String, Tensor> load(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (LoadedWeights w = WeightFile.loadFlat(file)) {
            w.tensors().forEach((k, t) -> out.put(k, t.clone()));
        }
        return out;
    }

    static void save(Path file, Map<String, Tensor> w) throws IOException {
        SafetensorsWriter.write(file, w, Map.of("format", "pt"), true);
    }

    static void editJson(Path file, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectNode c = (ObjectNode) ModelConfigs.JSON.readTree(file.toFile());
        edit.accept(c);
        Files.writeString(file, c.toPrettyString());
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
    }
}
