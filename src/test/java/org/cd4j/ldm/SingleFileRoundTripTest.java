package org.cd4j.ldm;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.TorchPickleWriter;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.ProgressListener;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A diffusers folder written as one file and converted back is the same model: same weights, same image. */
class SingleFileRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void sd1SingleFileGeneratesTheFoldersImage() throws Exception {
        Path folder = TinyModels.sd1(tmp.resolve("tiny-sd1"));
        Path file = tmp.resolve("tiny-sd1.safetensors");
        writeSingleFile(folder, file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.keys()).contains("model.diffusion_model.input_blocks.1.1.proj_in.weight",
                    "first_stage_model.encoder.mid.attn_1.q.weight",
                    "cond_stage_model.transformer.text_model.encoder.layers.4.mlp.fc2.bias");
            assertThat(f.info("first_stage_model.decoder.mid.attn_1.proj_out.weight").shape()).containsExactly(64, 64, 1, 1);
            assertThat(f.metadata()).containsEntry("modelspec.architecture", "stable-diffusion-v1")
                    .containsEntry("modelspec.resolution", "128x128");
        }
        Path back = SingleFileModel.materialize(file, null, tmp.resolve("cache"));
        assertSameModel(folder, back);
    }

    @Test
    void sd2SingleFileGeneratesTheFoldersImage() throws Exception {
        Path folder = TinyModels.sd2(tmp.resolve("tiny-sd2"));
        Path file = tmp.resolve("tiny-sd2.safetensors");
        writeSingleFile(folder, file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            // the key AUTOMATIC1111 recognises SD-2 by, fused (3·32, 32)
            assertThat(f.info("cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight").shape()).containsExactly(96, 32);
            assertThat(f.keys()).contains("cond_stage_model.model.transformer.resblocks.4.ln_2.bias",
                    "cond_stage_model.model.positional_embedding", "cond_stage_model.model.ln_final.weight")
                    .noneMatch(k -> k.contains("resblocks.5.") || k.endsWith("text_projection"));
            assertThat(f.info("model.diffusion_model.middle_block.1.proj_out.weight").shape()).containsExactly(64, 64);
            assertThat(f.metadata()).containsEntry("modelspec.architecture", "stable-diffusion-v2-768-v")
                    .containsEntry("modelspec.prediction_type", "v");
        }
        Path back = SingleFileModel.materialize(file, null, tmp.resolve("cache"));
        assertSameModel(folder, back);
        assertThat(Files.readString(back.resolve("tokenizer/special_tokens_map.json"))).contains("\"pad_token\" : \"!\"");
        assertThat(Files.readString(back.resolve("scheduler/scheduler_config.json"))).contains("v_prediction");
    }

    @Test
    void ckptWithStateDictConvertsLikeTheSafetensorsFile() throws Exception {
        Path folder = TinyModels.sd1(tmp.resolve("tiny-sd1"));
        Path file = tmp.resolve("tiny.safetensors");
        writeSingleFile(folder, file);
        Map<String, Object> stateDict = new LinkedHashMap<>();
        try (LoadedWeights w = WeightFile.loadFlat(file)) {
            w.tensors().forEach((k, t) -> stateDict.put(k, t.clone()));
        }
        stateDict.put("betas", Tensors.fromFloats(new float[]{0.00085f, 0.012f}, 2)); // LDM's schedule buffers are left out
        Path ckpt = tmp.resolve("tiny.ckpt");
        TorchPickleWriter.write(ckpt, Map.of("state_dict", stateDict, "global_step", 1000L));
        // a .ckpt has no metadata: the embedded config is absent, so the tiny model's head counts
        // (not SD's) come from a model config
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, "{\"unet\": {\"attention_head_dim\": 4, \"sample_size\": 16},"
                + " \"text_encoder\": {\"num_attention_heads\": 4}, \"vae\": {\"sample_size\": 128}}");
        List<String> notes = SingleFileModel.convert(ckpt, cfg, tmp.resolve("from-ckpt"), false);
        assertThat(notes).anyMatch(n -> n.contains("noise-schedule buffers"));
        assertSameModel(folder, tmp.resolve("from-ckpt"));
    }

    static void writeSingleFile(Path folder, Path file) throws IOException {
        try (FolderWeights w = FolderWeights.open(folder)) {
            SingleFileWriter.write(w, file, false);
        }
    }

    /** Same stored weights part by part, and the same decoded image from the same seed. */
    static void assertSameModel(Path expected, Path actual) throws IOException {
        for (String part : new String[]{"unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors",
                "text_encoder/model.safetensors"}) {
            Map<String, Tensor> a = TinyModels.load(expected.resolve(part));
            Map<String, Tensor> b = TinyModels.load(actual.resolve(part));
            assertThat(b.keySet()).as(part).containsExactlyInAnyOrderElementsOf(a.keySet());
            a.forEach((k, t) -> assertThat(Tensors.bytes(b.get(k))).as(part + " " + k).isEqualTo(Tensors.bytes(t)));
        }
        assertThat(Tensors.maxAbsDiff(image(actual), image(expected))).isZero();
    }

    static Tensor image(Path model) throws IOException {
        GenerationRequest r = new GenerationRequest("a photo of a cat", "blurry", 42, 2, 7.5, null, 0, 32, 32, 1, false, null);
        return StableDiffusion.load(model, DType.F32).generate(r, ProgressListener.NONE);
    }
}
