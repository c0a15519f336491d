package org.cd4j.ldm;

import org.cd4j.bench.Presets;
import org.cd4j.io.FormatException;
import org.cd4j.unet.UNetConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The configuration of real SD-1.5 / SD-2.1 single files, read off their weight shapes. */
class LdmInferenceTest {
    private static final Path FILE = Path.of("model.safetensors");

    @Test
    void sd15IsReadAsThePublishedConfig() throws Exception {
        ResolvedConfig c = ResolvedConfig.resolve(FILE, SdShapes.sd15(), Map.of(), ModelConfigs.none(), "no --model-config");
        assertThat(c.tower()).isEqualTo(LdmKeys.TextTower.CLIP);
        assertThat(c.unet()).isEqualTo(Presets.unet("sd15"));
        assertThat(c.text().hiddenSize()).isEqualTo(768);
        assertThat(c.text().numHiddenLayers()).isEqualTo(12);
        assertThat(c.text().numAttentionHeads()).isEqualTo(12);
        assertThat(c.text().intermediateSize()).isEqualTo(3072);
        assertThat(c.text().hiddenAct()).isEqualTo("quick_gelu");
        assertThat(c.text().vocabSize()).isEqualTo(49408);
        assertThat(c.text().eosTokenId()).isEqualTo(2); // the legacy pooling rule every SD config selects
        assertThat(c.vae().blockOutChannels()).containsExactly(128, 256, 512, 512);
        assertThat(c.vae().layersPerBlock()).isEqualTo(2);
        assertThat(c.vae().latentChannels()).isEqualTo(4);
        assertThat(c.vae().midBlockAddAttention()).isTrue();
        assertThat(c.vae().scalingFactor()).isEqualTo(0.18215);
        assertThat(c.json().scheduler().toString()).contains("\"prediction_type\":\"epsilon\"", "\"beta_schedule\":\"scaled_linear\"",
                "\"steps_offset\":1", "\"skip_prk_steps\":true", "\"_class_name\":\"PNDMScheduler\"");
    }

    @Test
    void sd21IsReadAsThePublishedConfigWithWhatOnlyMetadataAndAConfigCanTell() throws Exception {
        Map<String, String> spec = Map.of("modelspec.architecture", "stable-diffusion-v2-768-v", "modelspec.resolution", "768x768");
        ResolvedConfig c = ResolvedConfig.resolve(FILE, SdShapes.sd21(true), spec,
                ModelConfigs.parse("{\"upcast_attention\": true}", "cfg.json"), "--model-config cfg.json");
        assertThat(c.tower()).isEqualTo(LdmKeys.TextTower.OPEN_CLIP);
        assertThat(c.unet()).isEqualTo(Presets.unet("sd21")); // 64-channel heads [5, 10, 20, 20], linear projections
        assertThat(c.text().numHiddenLayers()).isEqualTo(23); // the penultimate of 24 blocks
        assertThat(c.text().numAttentionHeads()).isEqualTo(16);
        assertThat(c.text().intermediateSize()).isEqualTo(4096);
        assertThat(c.text().hiddenAct()).isEqualTo("gelu");
        assertThat(c.json().scheduler().path("prediction_type").asText()).isEqualTo("v_prediction");
        assertThat(c.unet().sampleSize()).isEqualTo(96);
        assertThat(c.open()).as("metadata and config stated everything").isEmpty();

        // Nothing states what SD-2's two kinds differ in: left open for Sd2Variant (placeholders: base SD-2)
        ResolvedConfig plain = ResolvedConfig.resolve(FILE, SdShapes.sd21(true), Map.of(), ModelConfigs.none(), "none");
        assertThat(plain.open()).containsExactlyInAnyOrder("scheduler.prediction_type", "unet.sample_size", "unet.upcast_attention");
        assertThat(plain.json().scheduler().path("prediction_type").asText()).isEqualTo("epsilon");
        assertThat(plain.unet().upcastAttention()).isFalse();
        assertThat(plain.unet().sampleSize()).isEqualTo(64);
        ResolvedConfig base = ResolvedConfig.resolve(FILE, SdShapes.sd21(true), Map.of("modelspec.architecture", "stable-diffusion-v2-512"),
                ModelConfigs.none(), "none");
        assertThat(base.open()).containsExactlyInAnyOrder("unet.sample_size", "unet.upcast_attention");
        assertThat(ResolvedConfig.resolve(FILE, SdShapes.sd15(), Map.of(), ModelConfigs.none(), "none").open())
                .as("SD-1 has one kind").isEmpty();
    }

    @Test
    void anSd21FileWrittenByDiffusersExporterKeepsAllItsBlocks() throws Exception {
        ResolvedConfig c = ResolvedConfig.resolve(FILE, SdShapes.sd21(false), Map.of(), ModelConfigs.none(), "none");
        assertThat(c.text().numHiddenLayers()).isEqualTo(23);
    }

    @Test
    void anSd21FileStrippedOfTheProjectionStillConditionsOnThePenultimateBlock() throws Exception {
        Map<String, long[]> shapes = new LinkedHashMap<>(SdShapes.sd21(true));
        shapes.remove(LdmKeys.OPEN_CLIP + "text_projection");
        shapes.remove(LdmKeys.OPEN_CLIP + "logit_scale");
        ResolvedConfig c = ResolvedConfig.resolve(FILE, shapes, Map.of(), ModelConfigs.none(), "none");
        assertThat(c.text().numHiddenLayers()).as("24 blocks of ViT-H: the last is left out, as diffusers does").isEqualTo(23);
        assertThat(c.text().projectionDim()).isEqualTo(1024);
    }

    @Test
    void aConfigMayNotContradictTheWeights() {
        assertThatThrownBy(() -> ResolvedConfig.resolve(FILE, SdShapes.sd15(), Map.of(),
                ModelConfigs.parse("{\"unet\": {\"block_out_channels\": [320, 640, 1280, 2560]}}", "cfg.json"), "--model-config cfg.json"))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("--model-config cfg.json")
                .hasMessageContaining("unet.block_out_channels = [320, 640, 1280, 2560]")
                .hasMessageContaining("the weights have unet.block_out_channels = [320, 640, 1280, 1280]");
    }

    @Test
    void modelConfigFilesAreCheckedKeyByKey() {
        assertThatThrownBy(() -> ModelConfigs.parse("{\"prediction\": \"v\"}", "cfg.json"))
                .hasMessageContaining("cfg.json: unknown key 'prediction'");
        assertThatThrownBy(() -> ModelConfigs.parse("{\"prediction_type\": \"v\"}", "cfg.json"))
                .hasMessageContaining("prediction_type must be one of [epsilon, v_prediction, sample]");
        assertThatThrownBy(() -> ModelConfigs.parse("{\"unet\": 3}", "cfg.json")).hasMessageContaining("'unet' must be a JSON object");
        assertThatThrownBy(() -> ModelConfigs.parse("[", "cfg.json")).hasMessageContaining("cfg.json is not valid JSON");
    }

    @Test
    void unetNamesAreDiffusersConvertersForSd1() {
        // the prefix table of diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py (SD-1 only)
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                expected.put("down_blocks." + i + ".resnets." + j, "input_blocks." + (3 * i + j + 1) + ".0");
                if (i < 3) expected.put("down_blocks." + i + ".attentions." + j, "input_blocks." + (3 * i + j + 1) + ".1");
            }
            for (int j = 0; j < 3; j++) {
                expected.put("up_blocks." + i + ".resnets." + j, "output_blocks." + (3 * i + j) + ".0");
                if (i > 0) expected.put("up_blocks." + i + ".attentions." + j, "output_blocks." + (3 * i + j) + ".1");
            }
            if (i < 3) {
                expected.put("down_blocks." + i + ".downsamplers.0.conv", "input_blocks." + 3 * (i + 1) + ".0.op");
                expected.put("up_blocks." + i + ".upsamplers.0.conv", "output_blocks." + (3 * i + 2) + "." + (i == 0 ? 1 : 2) + ".conv");
            }
        }
        expected.put("mid_block.attentions.0", "middle_block.1");
        expected.put("mid_block.resnets.0", "middle_block.0");
        expected.put("mid_block.resnets.1", "middle_block.2");
        Map<String, String> actual = new LinkedHashMap<>(LdmKeys.unet(Presets.unet("sd15")).prefixes());
        for (String top : List.of("time_embedding.linear_1", "time_embedding.linear_2", "conv_in", "conv_norm_out", "conv_out")) {
            actual.remove(top);
        }
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        LdmKeys.Names n = LdmKeys.unet(Presets.unet("sd15"));
        assertThat(n.toDiffusers("input_blocks.4.0.skip_connection.weight")).isEqualTo("down_blocks.1.resnets.0.conv_shortcut.weight");
        assertThat(n.toDiffusers("middle_block.2.emb_layers.1.bias")).isEqualTo("mid_block.resnets.1.time_emb_proj.bias");
        assertThat(n.toDiffusers("time_embed.2.weight")).isEqualTo("time_embedding.linear_2.weight");
        assertThat(n.toDiffusers("out.2.bias")).isEqualTo("conv_out.bias");
        assertThat(n.toDiffusers("input_blocks.1.0.in_layers.1.weight")).isNull(); // the SiLU has no weights
    }

    @Test
    void everyUNetWeightOfSd15AndSd21HasOneDiffusersNameAndBack() {
        for (String arch : List.of("sd15", "sd21")) {
            UNetConfig config = Presets.unet(arch);
            LdmKeys.Names n = LdmKeys.unet(config);
            Set<String> seen = new HashSet<>();
            Map<String, long[]> shapes = arch.equals("sd15") ? SdShapes.sd15() : SdShapes.sd21(true);
            shapes.keySet().stream().filter(k -> k.startsWith(LdmKeys.UNET)).forEach(k -> {
                String ldm = k.substring(LdmKeys.UNET.length());
                String d = n.toDiffusers(ldm);
                assertThat(d).as(arch + " " + ldm).isNotNull();
                assertThat(seen.add(d)).as(arch + " " + d + " twice").isTrue();
                assertThat(n.toLdm(d)).isEqualTo(ldm);
            });
            assertThat(seen).hasSize(686); // the parameters of diffusers' SD UNet
        }
    }
}
