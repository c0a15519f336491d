package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WeightFileTest {
    static final Path CD = Path.of("src/test/resources/fixtures/custom_diffusion");

    @TempDir
    Path tmp;

    @Test
    void loadsSafetensorsAndTorchTwinsAlike() throws IOException {
        Path st = CD.resolve("diffusers_train/pytorch_custom_diffusion_weights.safetensors");
        Path bin = CD.resolve("diffusers_train/pytorch_custom_diffusion_weights.bin");
        assertThat(WeightFile.detect(st)).isEqualTo(WeightFile.Format.SAFETENSORS);
        assertThat(WeightFile.detect(bin)).isEqualTo(WeightFile.Format.TORCH);
        try (LoadedWeights a = WeightFile.loadFlat(st); LoadedWeights b = WeightFile.loadFlat(bin)) {
            assertThat(a.metadata()).containsEntry("format", "pt");
            assertThat(b.metadata()).isEmpty();
            // the .bin's six empty attn1.processor dicts are skipped
            assertThat(b.tensors().keySet()).containsExactlyInAnyOrderElementsOf(a.tensors().keySet());
            for (String k : a.tensors().keySet()) {
                assertThat(Tensors.bytes(b.tensor(k))).isEqualTo(Tensors.bytes(a.tensor(k)));
            }
            assertThatThrownBy(() -> a.tensor("nope")).hasMessageContaining(st.toString()).hasMessageContaining("'nope'");
        }
    }

    @Test
    void recognisesContentNotExtension() throws IOException {
        Path misnamed = tmp.resolve("weights.safetensors");
        Files.copy(CD.resolve("diffusers_train/<new1>.bin"), misnamed);
        try (LoadedWeights w = WeightFile.loadFlat(misnamed)) {
            assertThat(Tensors.shape(w.tensor("<new1>"))).containsExactly(32);
        }
    }

    @Test
    void safetensorsWhoseHeaderLengthStartsLikeAPickle() throws IOException {
        // header length 128 = 0x80, the byte a pickle starts with
        String h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] hb = (h + " ".repeat(128 - h.length())).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 128 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(128).put(hb).putFloat(2.5f);
        Path p = tmp.resolve("w.bin");
        Files.write(p, b.array());
        assertThat(WeightFile.detect(p)).isEqualTo(WeightFile.Format.SAFETENSORS);
        try (LoadedWeights w = WeightFile.loadFlat(p)) {
            assertThat(Tensors.toFloats(w.tensor("w"))).containsExactly(2.5f);
        }
        assertThatThrownBy(() -> TorchPickleReader.read(p)).hasMessageContaining("looks like a safetensors file");
    }

    @Test
    void refusesNestedDictsNamingTheKeys() {
        Path delta = CD.resolve("adobe_train/delta.bin");
        assertThatThrownBy(() -> WeightFile.loadFlat(delta))
                .isInstanceOf(FormatException.class)
                .hasMessageStartingWith(delta + ": ")
                .hasMessageContaining("not a flat dict of tensors")
                .hasMessageContaining("[unet, modifier_token]");
    }

    @Test
    void selectsANestedDictByKeyPath() throws IOException {
        Path delta = CD.resolve("adobe_train/delta.bin");
        try (LoadedWeights w = WeightFile.loadFlat(delta, "modifier_token")) {
            assertThat(w.tensors()).containsOnlyKeys("<new1>");
        }
        assertThatThrownBy(() -> WeightFile.loadFlat(delta, "state_dict"))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("has no key 'state_dict' at the top level; its keys are [unet, modifier_token]");
        Path compressed = CD.resolve("adobe_compress/compressed_delta.bin");
        assertThatThrownBy(() -> WeightFile.loadFlat(compressed, "unet"))
                .hasMessageContaining("under 'unet' holds a dict");
        assertThatThrownBy(() -> WeightFile.loadFlat(CD.resolve("adobe_train/delta.safetensors"), "unet"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("safetensors");
    }

    @Test
    void lightningStyleCheckpoint() throws IOException {
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("model.diffusion_model.w", SafetensorsWriterTest.of(DType.F32, 2, 2));
        Map<String, Object> ckpt = new LinkedHashMap<>();
        ckpt.put("state_dict", sd);
        ckpt.put("global_step", 1000L);
        Path p = tmp.resolve("m.ckpt");
        TorchPickleWriter.write(p, ckpt);
        try (LoadedWeights w = WeightFile.loadFlat(p, "state_dict")) {
            Tensor t = w.tensor("model.diffusion_model.w");
            assertThat(Tensors.shape(t)).containsExactly(2, 2);
        }
        assertThatThrownBy(() -> WeightFile.loadFlat(p)).hasMessageContaining("'state_dict' at the top level holds a dict");
    }

    @Test
    void locatesThePlainFileBeforeAVariantAndTheOnlyVariantOtherwise() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("unet"));
        Path fp16 = Files.writeString(dir.resolve("diffusion_pytorch_model.fp16.safetensors"), "x");
        Files.writeString(dir.resolve("diffusion_pytorch_model.fp16-00001-of-00002.safetensors"), "x"); // a shard, not a variant
        assertThat(WeightFile.locate(dir, "UNet", "diffusion_pytorch_model")).isEqualTo(fp16);
        Path plain = Files.writeString(dir.resolve("diffusion_pytorch_model.bin"), "x");
        assertThat(WeightFile.locate(dir, "UNet", "diffusion_pytorch_model")).isEqualTo(plain);
        Files.delete(plain);
        Files.writeString(dir.resolve("diffusion_pytorch_model.non_ema.bin"), "x");
        assertThatThrownBy(() -> WeightFile.locate(dir, "UNet", "diffusion_pytorch_model"))
                .hasMessageContaining("several variants").hasMessageContaining("diffusion_pytorch_model.non_ema.bin")
                .hasMessageContaining("diffusion_pytorch_model.fp16.safetensors");
    }
}
