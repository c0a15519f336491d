package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.io.TorchPickleWriter;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad input gives one clear message naming the file and what was found. */
class DeltaErrorsTest {
    @TempDir
    Path tmp;

    private static Tensor zeros(long... shape) {
        return Tensors.fromFloats(new float[(int) Tensors.numel(shape)], shape);
    }

    @Test
    void tokenFileGivenAsDelta() {
        for (String name : List.of("<new1>.bin", "<new1>.safetensors")) {
            Path f = DeltaFixtures.diffusersTrain().resolve(name);
            assertThatThrownBy(() -> DeltaFiles.load(f)).isInstanceOf(FormatException.class)
                    .hasMessageStartingWith(f.toString())
                    .hasMessageContaining("is a token-embedding file, not a delta; pass the folder or the weights file");
        }
    }

    @Test
    void unknownFiles() throws Exception {
        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello, this is not a delta at all");
        assertThatThrownBy(() -> DeltaFiles.load(text)).isInstanceOf(FormatException.class)
                .hasMessageContaining(text + ": is not a delta cd4j can read");
        Path png = DeltaFixtures.cd("data/pot/instance").resolve(
                Files.list(DeltaFixtures.cd("data/pot/instance")).sorted().findFirst().orElseThrow().getFileName());
        assertThatThrownBy(() -> DeltaFiles.load(png)).hasMessageContaining("is not a delta cd4j can read");
        assertThatThrownBy(() -> DeltaFiles.load(tmp.resolve("missing.bin"))).isInstanceOf(NoSuchFileException.class);
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> DeltaFiles.load(empty)).hasMessageContaining("holds no delta");
        Path model = DeltaFixtures.tinySd1().resolve("unet/diffusion_pytorch_model.safetensors");
        assertThatThrownBy(() -> DeltaFiles.load(model)).hasMessageContaining("is a safetensors file but not a delta");
    }

    @Test
    void nestedDictWithoutUnet() throws Exception {
        Path f = tmp.resolve("weird.bin");
        TorchPickleWriter.write(f, Map.of("weights", Map.of("a", zeros(2, 2)), "step", 10L));
        assertThatThrownBy(() -> DeltaFiles.load(f)).isInstanceOf(FormatException.class)
                .hasMessageContaining("is not a Custom Diffusion delta: a dict without 'unet'")
                .hasMessageContaining("its keys are");
    }

    @Test
    void newerCd4jFormatVersion() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.adobeDelta()).delta();
        Path ok = tmp.resolve("ok.cd4j.safetensors");
        Cd4jDeltaFile.write(ok, d, false);
        Path newer = tmp.resolve("newer.cd4j.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(ok)) {
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            meta.put("format_version", "2");
            SafetensorsWriter.write(newer, f.tensors(), meta);
        }
        assertThatThrownBy(() -> DeltaFiles.load(newer)).isInstanceOf(FormatException.class)
                .hasMessageContaining("newer cd4j (delta format version 2; this cd4j reads up to version 1)");
    }

    @Test
    void multiVectorAndSdxlEmbeddings() throws Exception {
        Path a1111 = tmp.resolve("emb.pt");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("string_to_param", Map.of("*", zeros(3, 32)));
        root.put("name", "myemb");
        TorchPickleWriter.write(a1111, root);
        assertThatThrownBy(() -> TokenFiles.read(a1111)).hasMessageContaining("multi-vector embeddings are not supported");

        Path single = tmp.resolve("one.pt");
        root.put("string_to_param", Map.of("*", zeros(1, 32)));
        TorchPickleWriter.write(single, root);
        org.assertj.core.api.Assertions.assertThat(TokenFiles.read(single)).containsKey("myemb");

        Path sdxl = tmp.resolve("sdxl.bin");
        Map<String, Object> unet = Map.of("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight", zeros(4, 8));
        TorchPickleWriter.write(sdxl, Map.of("unet", unet, "modifier_token", Map.of("<new1>", List.of(zeros(8), zeros(16)))));
        assertThatThrownBy(() -> DeltaFiles.load(sdxl)).hasMessageContaining("SD-XL is not supported");
    }

    @Test
    void nonCrossAttentionKeys() throws Exception {
        Path f = tmp.resolve("delta.bin");
        Map<String, Object> unet = Map.of("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight", zeros(4, 4));
        TorchPickleWriter.write(f, Map.of("unet", unet, "modifier_token", Map.of()));
        assertThatThrownBy(() -> DeltaFiles.load(f)).hasMessageContaining(f.toString())
                .hasMessageContaining("attn1.to_k.weight' is not a cross-attention weight");

        Path bad = tmp.resolve("rank.bin");
        Map<String, Object> uv = Map.of("u", zeros(4, 2), "v", zeros(3, 4));
        TorchPickleWriter.write(bad, Map.of("unet", Map.of("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight", uv)));
        assertThatThrownBy(() -> DeltaFiles.load(bad)).hasMessageContaining("u (out, r) and v (r, in)");
    }

    @Test
    void textEncoderEntryIsIgnoredWithAWarning() throws Exception {
        Path f = tmp.resolve("te.bin");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("unet", Map.of("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight", zeros(4, 8)));
        root.put("modifier_token", Map.of("<new1>", zeros(8)));
        root.put("text_encoder", Map.of("w", zeros(2)));
        TorchPickleWriter.write(f, root);
        org.assertj.core.api.Assertions.assertThat(DeltaFiles.load(f).warnings()).singleElement().asString()
                .contains("ignoring its 'text_encoder' weights");
    }
}
