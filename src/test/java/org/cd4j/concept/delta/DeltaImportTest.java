package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.TrainMode;
import org.cd4j.io.TorchPickleWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cd4j.concept.delta.DeltaFixtures.bitEqual;
import static org.cd4j.concept.delta.DeltaFixtures.cd;

/** Every reference delta of the fixtures loads, with the values the reference wrote. */
class DeltaImportTest {
    @TempDir
    Path tmp;

    @Test
    void diffusersBinAndSafetensorsGiveTheSameDelta() throws Exception {
        Path dir = DeltaFixtures.diffusersTrain();
        LoadedDelta bin = DeltaFiles.load(dir.resolve(DiffusersDeltaFolder.BIN));
        LoadedDelta st = DeltaFiles.load(dir.resolve(DiffusersDeltaFolder.SAFETENSORS));
        LoadedDelta folder = DeltaFiles.load(dir);
        assertThat(bin.format()).isEqualTo(DeltaFormat.DIFFUSERS);
        assertThat(bin.delta().sameTensors(st.delta())).isTrue();
        assertThat(folder.delta().sameTensors(st.delta())).isTrue();
        ConceptDelta d = bin.delta();
        assertThat(d.weights()).hasSize(12);
        assertThat(d.weights().keySet()).first().isEqualTo("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight");
        assertThat(d.weights().keySet()).allMatch(CrossAttnParams::isKeyOrValue);
        assertThat(d.weights().get("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight").shape()).containsExactly(64, 32);
        assertThat(d.modifierTokens()).containsExactly("<new1>");
        assertThat(d.tokens().get("<new1>").sizes().vec().get()).containsExactly(32);
        assertThat(d.trainMode()).isEqualTo(TrainMode.CROSSATTN_KV);
        assertThat(d.storage()).isEqualTo(ConceptDelta.FULL);
        assertThat(d.info().baseModelSha256()).isNull();
    }

    @Test
    void tokenBinRowViewEqualsSafetensorsTwin() throws Exception {
        Map<String, Tensor> bin = TokenFiles.read(DeltaFixtures.diffusersTrain().resolve("<new1>.bin"));
        Map<String, Tensor> st = TokenFiles.read(DeltaFixtures.diffusersTrain().resolve("<new1>.safetensors"));
        assertThat(bin.keySet()).containsExactly("<new1>");
        assertThat(bitEqual(bin.get("<new1>"), st.get("<new1>"))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"adobe_train/delta", "adobe_train/delta-10", "adobe_train/delta-20",
            "adobe_compose/input_pot/delta", "adobe_compose/input_ball/delta", "adobe_compose/output/optimized_wooden_pot+ball/delta"})
    void adobeDeltaEqualsItsTwin(String stem) throws Exception {
        LoadedDelta loaded = DeltaFiles.load(cd(stem + ".bin"));
        assertThat(loaded.format()).isEqualTo(DeltaFormat.ADOBE);
        assertThat(loaded.warnings()).isEmpty();
        ConceptDelta d = loaded.delta();
        Map<String, Tensor> twin = DeltaFixtures.twin(cd(stem + ".safetensors"));
        int unet = 0, tokens = 0;
        for (Map.Entry<String, Tensor> e : twin.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("unet/")) {
                unet++;
                assertThat(bitEqual(d.weights().get(k.substring(5)).full(), e.getValue())).as(k).isTrue();
            } else {
                tokens++;
                assertThat(bitEqual(d.tokens().get(k.substring("modifier_token/".length())), e.getValue())).as(k).isTrue();
            }
        }
        assertThat(d.weights()).hasSize(unet);
        assertThat(d.tokens()).hasSize(tokens);
        assertThat(d.trainMode()).isEqualTo(TrainMode.CROSSATTN_KV);
    }

    @Test
    void mergedDeltaHasTwoTokensInOrder() throws Exception {
        ConceptDelta d = DeltaFiles.load(cd("adobe_compose/output/optimized_wooden_pot+ball/delta.bin")).delta();
        assertThat(d.modifierTokens()).containsExactly("<new1>", "<new2>");
        assertThat(d.tokens().get("<new1>").size(0)).isEqualTo(768);
    }

    @Test
    void compressedDeltaLoadsAsLowRankWithTheReferenceRanks() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        Map<String, Tensor> twin = DeltaFixtures.twin(cd("adobe_compress/compressed_delta.safetensors"));
        assertThat(d.storage()).isEqualTo(ConceptDelta.LOW_RANK);
        assertThat(d.weights()).hasSize(12);
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            Tensor u = twin.get("unet/" + e.getKey() + "/u");
            Tensor v = twin.get("unet/" + e.getKey() + "/v");
            assertThat(e.getValue().rank()).isEqualTo(u.size(1));
            assertThat(bitEqual(e.getValue().u(), u)).isTrue();
            assertThat(bitEqual(e.getValue().v(), v)).isTrue();
        }
        assertThat(d.weights().get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight").rank()).isEqualTo(3);
        assertThat(d.weights().get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v.weight").rank()).isEqualTo(1);
        assertThat(bitEqual(d.tokens().get("<new1>"), twin.get("modifier_token/<new1>"))).isTrue();
    }

    @Test
    void compVisDeltaMapsLdmKeysAndNamesTokens() throws Exception {
        ConceptDelta adobe = DeltaFiles.load(DeltaFixtures.adobeDelta()).delta();
        Path ckpt = tmp.resolve("delta_epoch=000001.ckpt");
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            UNetLayout layout = UNetLayout.of(base.unetConfig());
            Map<String, Object> sd = new LinkedHashMap<>();
            for (Map.Entry<String, DeltaWeight> e : adobe.weights().entrySet()) {
                sd.put(CompVisDeltaFile.PREFIX + layout.toLdm(e.getKey()), e.getValue().full());
            }
            sd.put("embed", adobe.tokens().get("<new1>").reshape(1, -1));
            TorchPickleWriter.write(ckpt, Map.of("state_dict", sd));
            LoadedDelta loaded = DeltaFiles.load(ckpt, base);
            assertThat(loaded.format()).isEqualTo(DeltaFormat.COMPVIS);
            assertThat(loaded.delta().sameTensors(adobe)).isTrue();
        }
    }

    @Test
    void compressedCompVisDeltaWithTopLevelFlatEmbed() throws Exception {
        ConceptDelta compressed = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        Path ckpt = tmp.resolve("compressed_delta_epoch=000001.ckpt");
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            UNetLayout layout = UNetLayout.of(base.unetConfig());
            Map<String, Object> sd = new LinkedHashMap<>();
            for (Map.Entry<String, DeltaWeight> e : compressed.weights().entrySet()) {
                sd.put(CompVisDeltaFile.PREFIX + layout.toLdm(e.getKey()), Map.of("u", e.getValue().u(), "v", e.getValue().v()));
            }
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("state_dict", sd);
            root.put("embed", compressed.tokens().get("<new1>"));
            TorchPickleWriter.write(ckpt, root);
            ConceptDelta d = DeltaFiles.load(ckpt, base).delta();
            assertThat(d.storage()).isEqualTo(ConceptDelta.LOW_RANK);
            assertThat(d.sameTensors(compressed)).isTrue();
        }
    }

    @Test
    void tokenFilesBesideTheWeightsInNaturalOrder() throws Exception {
        Path dir = java.nio.file.Files.createDirectory(tmp.resolve("run"));
        java.nio.file.Files.copy(DeltaFixtures.diffusersTrain().resolve(DiffusersDeltaFolder.SAFETENSORS),
                dir.resolve(DiffusersDeltaFolder.SAFETENSORS));
        Tensor row = org.cd4j.nn.Tensors.fromFloats(new float[32], 32);
        for (String t : List.of("<new10>", "<new2>", "<new1>")) TokenFiles.write(dir, t, row, false);
        org.cd4j.io.SafetensorsWriter.write(dir.resolve("learned_embeds.safetensors"), Map.of("<cat>", row.reshape(1, 32)), Map.of());
        TorchPickleWriter.write(dir.resolve("notes.bin"), Map.of("a", row, "b", row)); // not a token file: skipped
        ConceptDelta d = DeltaFiles.load(dir.resolve(DiffusersDeltaFolder.SAFETENSORS)).delta();
        assertThat(d.modifierTokens()).containsExactly("<new1>", "<new2>", "<new10>", "<cat>");
        assertThat(TokenFiles.naturalCompare("<new2>", "<new10>")).isNegative();
    }

    @Test
    void sd1LayoutMatchesReferenceMapping() throws Exception {
        String json = new String(java.nio.file.Files.readAllBytes(DeltaFixtures.tinySd1().resolve("unet/config.json")))
                .replace("\"block_out_channels\": [\n    32,\n    64\n  ]", "\"block_out_channels\": [320, 640, 1280, 1280]")
                .replace("\"down_block_types\": [\n    \"CrossAttnDownBlock2D\",\n    \"DownBlock2D\"\n  ]",
                        "\"down_block_types\": [\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"]")
                .replace("\"up_block_types\": [\n    \"UpBlock2D\",\n    \"CrossAttnUpBlock2D\"\n  ]",
                        "\"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"]")
                .replace("\"attention_head_dim\": 4", "\"attention_head_dim\": 8");
        UNetLayout sd1 = UNetLayout.of(org.cd4j.unet.UNetConfig.fromJson(json, "sd1 config"));
        assertThat(sd1.ldmToDiffusers()).isEqualTo(UNetLayout.sd1().ldmToDiffusers());
        assertThat(sd1.attentionModules()).hasSize(32);
        assertThat(sd1.toDiffusers("output_blocks.5.1.transformer_blocks.0.attn2.to_k.weight"))
                .isEqualTo("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_k.weight");
        assertThat(sd1.toDiffusers("input_blocks.8.1.transformer_blocks.0.attn2.to_v.weight"))
                .isEqualTo("down_blocks.2.attentions.1.transformer_blocks.0.attn2.to_v.weight");
        assertThat(sd1.toDiffusers("middle_block.1.transformer_blocks.0.attn2.to_out.0.bias"))
                .isEqualTo("mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0.bias");
    }

    @Test
    void layoutFromConfigEqualsTheModelsAttentionOrder() throws Exception {
        org.cd4j.unet.UNet2DConditionModel unet = org.cd4j.unet.UNet2DConditionModel.load(
                DeltaFixtures.tinySd1().resolve("unet"), org.cd4j.nn.DType.F32);
        List<String> fromModel = new ArrayList<>(unet.attentions().keySet());
        assertThat(UNetLayout.of(unet.config()).attentionModules()).isEqualTo(fromModel);
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            assertThat(base.attentionModules()).isEqualTo(fromModel);
        }
    }
}
