package org.cd4j.ldm;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Caching, configuration from a file, and every way a single file can be refused. */
class SingleFileModelTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    /** tiny-sd1 (full vocabulary) as one file, written once for all tests. */
    static Path single;

    @BeforeAll
    static void writeSingleFile() throws IOException {
        single = shared.resolve("tiny.safetensors");
        SingleFileRoundTripTest.writeSingleFile(TinyModels.sd1(shared.resolve("tiny-sd1")), single);
    }

    @Test
    void aSecondMaterializeReusesTheFolderWithoutReadingTheFileAgain() throws Exception {
        Path file = Files.copy(single, tmp.resolve("model.safetensors"));
        Path cache = tmp.resolve("cache");
        Path first = SingleFileModel.materialize(file, null, cache);
        assertThat(first.getParent()).isEqualTo(cache);
        assertThat(first.getFileName().toString()).startsWith("model-");
        String source = Files.readString(first.resolve(SingleFileModel.SOURCE_FILE));
        assertThat(source).contains(FileIdentity.sha256(file, cache));
        FileTime stamp = Files.getLastModifiedTime(first.resolve("unet/diffusion_pytorch_model.safetensors"));

        // same path, size and time: the cached identity is trusted, so content is not even read
        FileTime fileTime = Files.getLastModifiedTime(file);
        byte[] garbage = new byte[(int) Files.size(file)];
        Files.write(file, garbage);
        Files.setLastModifiedTime(file, fileTime);
        assertThat(SingleFileModel.materialize(file, null, cache)).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(first.resolve("unet/diffusion_pytorch_model.safetensors"))).isEqualTo(stamp);

        // a changed file is hashed again (and this one is no longer a checkpoint)
        Files.setLastModifiedTime(file, FileTime.fromMillis(fileTime.toMillis() + 2000));
        assertThatThrownBy(() -> SingleFileModel.materialize(file, null, cache)).isInstanceOf(FormatException.class)
                .hasMessageContaining(file.toString());
        try (var s = Files.list(cache)) {
            assertThat(s.filter(p -> !p.getFileName().toString().startsWith("."))).containsExactly(first); // nothing half-made
        }
    }

    @Test
    void anotherModelConfigIsAnotherFolder() throws Exception {
        Path cache = tmp.resolve("cache");
        Path cfg = tmp.resolve("v.json");
        Files.writeString(cfg, "{\"prediction_type\": \"v_prediction\"}");
        Path plain = SingleFileModel.materialize(single, null, cache);
        Path v = SingleFileModel.materialize(single, cfg, cache);
        assertThat(v).isNotEqualTo(plain);
        assertThat(Files.readString(v.resolve("scheduler/scheduler_config.json"))).contains("v_prediction");
        assertThat(Files.readString(plain.resolve("scheduler/scheduler_config.json"))).doesNotContain("v_prediction");
    }

    @Test
    void convertRefusesToReplaceAFolderUnlessAsked() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("mine.txt"), "keep");
        assertThatThrownBy(() -> SingleFileModel.convert(single, null, out, false)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(out.resolve("mine.txt")).hasContent("keep");
        SingleFileModel.convert(single, null, out, true);
        assertThat(out.resolve("model_index.json")).exists();
        assertThat(out.resolve("mine.txt")).doesNotExist();
    }

    @Test
    void headsTheWeightsCannotTellMustBeGiven() throws Exception {
        Path bare = tmp.resolve("bare.safetensors"); // as other tools write it: no cd4j metadata
        SafetensorsWriter.write(bare, TinyModels.load(single), Map.of());
        assertThatThrownBy(() -> SingleFileModel.convert(bare, null, tmp.resolve("x"), false))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("bare.safetensors: cannot tell text_encoder.num_attention_heads from the weights")
                .hasMessageContaining("--model-config");
    }

    @Test
    void weightsThatFitNoLayerAreNamed() throws Exception {
        Map<String, Tensor> w = new LinkedHashMap<>(TinyModels.load(single));
        w.put("model.diffusion_model.input_blocks.1.0.in_layers.9.weight", Tensors.fromFloats(new float[2], 2));
        w.put("cond_stage_model.transformer.text_model.encoder.layers.0.extra.weight", Tensors.fromFloats(new float[2], 2));
        Path odd = tmp.resolve("odd.safetensors");
        try (org.cd4j.io.SafetensorsFile f = org.cd4j.io.SafetensorsFile.open(single)) {
            SafetensorsWriter.write(odd, w, f.metadata());
        }
        assertThatThrownBy(() -> SingleFileModel.convert(odd, null, tmp.resolve("o"), false))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("odd.safetensors: 2 weight(s) fit no SD-1.x/2.x layer")
                .hasMessageContaining("model.diffusion_model.input_blocks.1.0.in_layers.9.weight")
                .hasMessageContaining("cond_stage_model.transformer.text_model.encoder.layers.0.extra.weight");
    }

    @Test
    void aTextEncoderWithoutClipsVocabularyIsRefused() throws Exception {
        Path file = tmp.resolve("small-vocab.safetensors");
        SingleFileRoundTripTest.writeSingleFile(Fixtures.tinySd1(), file);
        assertThatThrownBy(() -> SingleFileModel.materialize(file, null, tmp.resolve("cache")))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("small-vocab.safetensors: its text encoder has 1319 token rows")
                .hasMessageContaining("49408");
    }

    @Test
    void otherArchitecturesAreRefusedNamingWhatTheyAre() throws Exception {
        assertRefused(Map.of("conditioner.embedders.0.transformer.text_model.final_layer_norm.weight", 4,
                "model.diffusion_model.input_blocks.0.0.weight", 4, "model.diffusion_model.label_emb.0.0.weight", 4),
                Map.of(), "an SDXL-style model");
        assertRefused(Map.of("lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", 4), Map.of(), "a LoRA adapter");
        assertRefused(Map.of("encoder.conv_in.weight", 4, "decoder.conv_out.weight", 4), Map.of(), "a VAE on its own");
        assertRefused(Map.of("emb_params", 4), Map.of(), "a textual-inversion embedding");
        assertRefused(Map.of("model.diffusion_model.input_blocks.0.0.weight", 4), Map.of("modelspec.architecture", "stable-diffusion-xl-v1-base"),
                "modelspec.architecture = 'stable-diffusion-xl-v1-base'");
        assertRefused(Map.of("model.diffusion_model.input_blocks.0.0.weight", 4, "first_stage_model.encoder.conv_in.weight", 4),
                Map.of(), "no text encoder");
    }

    private void assertRefused(Map<String, Integer> keys, Map<String, String> metadata, String what) throws IOException {
        Path file = tmp.resolve("other.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        keys.forEach((k, n) -> tensors.put(k, Tensors.fromFloats(new float[n], n)));
        SafetensorsWriter.write(file, tensors, metadata, true);
        assertThatThrownBy(() -> SingleFileModel.materialize(file, null, tmp.resolve("cache")))
                .isInstanceOf(FormatException.class)
                .hasMessageStartingWith(file + ": is not a Stable Diffusion 1.x/2.x checkpoint")
                .hasMessageContaining(what)
                .hasMessageContaining("model.diffusion_model.*, first_stage_model.*, cond_stage_model.*");
    }

    @Test
    void corruptFilesAreRefusedNamingTheFile() throws Exception {
        Path truncated = tmp.resolve("truncated.safetensors");
        byte[] all = Files.readAllBytes(single);
        Files.write(truncated, java.util.Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> SingleFileModel.convert(truncated, null, tmp.resolve("a"), false))
                .isInstanceOf(FormatException.class).hasMessageStartingWith(truncated.toString());

        Path zip = tmp.resolve("broken.ckpt");
        Files.write(zip, new byte[]{'P', 'K', 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertThatThrownBy(() -> SingleFileModel.convert(zip, null, tmp.resolve("b"), false))
                .isInstanceOf(FormatException.class).hasMessageStartingWith(zip.toString());

        assertThatThrownBy(() -> SingleFileModel.convert(tmp.resolve("missing.ckpt"), null, tmp.resolve("c"), false))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertThat(tmp.resolve("a")).doesNotExist();
    }
}
