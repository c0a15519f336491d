package org.cd4j.ldm;

import org.cd4j.bench.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The original LDM inference configs as model configs. */
class LdmYamlTest {
    /** The relevant part of Stability's v2-inference-v.yaml, in its layout. */
    static final String V2_V = String.join("\n",
            "model:",
            "  base_learning_rate: 1.0e-4",
            "  target: ldm.models.diffusion.ddpm.LatentDiffusion",
            "  params:",
            "    parameterization: \"v\"",
            "    linear_start: 0.00085",
            "    linear_end: 0.0120",
            "    num_timesteps_cond: 1",
            "    log_every_t: 200",
            "    timesteps: 1000",
            "    first_stage_key: \"jpg\"",
            "    cond_stage_key: \"txt\"",
            "    image_size: 96",
            "    channels: 4",
            "    scale_factor: 0.18215",
            "    unet_config:",
            "      target: ldm.modules.diffusionmodules.openaimodel.UNetModel",
            "      params:",
            "        use_checkpoint: True",
            "        image_size: 32 # unused",
            "        in_channels: 4",
            "        out_channels: 4",
            "        model_channels: 320",
            "        attention_resolutions: [ 4, 2, 1 ]",
            "        num_res_blocks: 2",
            "        channel_mult: [ 1, 2, 4, 4 ]",
            "        num_head_channels: 64 # need to fix for flash-attn",
            "        use_spatial_transformer: True",
            "        use_linear_in_transformer: True",
            "        transformer_depth: 1",
            "        context_dim: 1024",
            "        legacy: False",
            "    cond_stage_config:",
            "      target: ldm.modules.encoders.modules.FrozenOpenCLIPEmbedder",
            "      params:",
            "        freeze: True",
            "        layer: \"penultimate\"");

    @TempDir
    Path tmp;

    @Test
    void v2InferenceVGivesWhatSd21768Needs() throws Exception {
        ModelConfigs c = LdmYaml.parse(V2_V, "v2-inference-v.yaml");
        assertThat(c.scheduler().toString()).contains("\"prediction_type\":\"v_prediction\"", "\"beta_start\":8.5E-4",
                "\"beta_end\":0.012", "\"num_train_timesteps\":1000");
        assertThat(c.unet().toString()).contains("\"sample_size\":96", "\"attention_head_dim\":[5,10,20,20]",
                "\"use_linear_projection\":true", "\"cross_attention_dim\":1024");
        assertThat(c.vae().path("scaling_factor").asDouble()).isEqualTo(0.18215);
        ResolvedConfig r = ResolvedConfig.resolve(Path.of("v2-1_768-ema-pruned.ckpt"), SdShapes.sd21(true), Map.of(),
                c.overriddenBy(ModelConfigs.parse("{\"upcast_attention\": true}", "x")), "--model-config v2-inference-v.yaml");
        assertThat(r.unet()).isEqualTo(Presets.unet("sd21"));
    }

    @Test
    void v1InferenceGivesEightHeadsAndEpsilon() {
        String v1 = V2_V.replace("parameterization: \"v\"", "").replace("image_size: 96", "image_size: 64")
                .replace("num_head_channels: 64 # need to fix for flash-attn", "num_heads: 8")
                .replace("use_linear_in_transformer: True", "").replace("context_dim: 1024", "context_dim: 768");
        ModelConfigs c = LdmYaml.parse(v1, "v1-inference.yaml");
        assertThat(c.scheduler().path("prediction_type").asText()).as("LatentDiffusion's default parameterization").isEqualTo("epsilon");
        assertThat(LdmYaml.parse("model:\n  params:\n    image_size: 64\n", "part.yaml").scheduler().has("prediction_type"))
                .as("not a LatentDiffusion config: states nothing about it").isFalse();
        assertThat(c.unet().path("attention_head_dim").asInt()).isEqualTo(8);
        assertThat(c.unet().path("sample_size").asInt()).isEqualTo(64);
    }

    @Test
    void aYamlBesideTheCheckpointIsUsedAndAContradictionNamed() throws Exception {
        Path ckpt = writeTiny(tmp.resolve("tiny.safetensors"));
        Files.writeString(tmp.resolve("tiny.yaml"), "model:\n  params:\n    parameterization: \"v\"\n");
        Path dir = SingleFileModel.materialize(ckpt, null, tmp.resolve("cache"));
        assertThat(Files.readString(dir.resolve("scheduler/scheduler_config.json"))).contains("v_prediction");
        assertThat(Files.readString(dir.resolve(SingleFileModel.SOURCE_FILE))).contains("the config beside it, tiny.yaml");

        Files.writeString(tmp.resolve("tiny.yaml"), "model:\n  params:\n    unet_config:\n      params:\n        context_dim: 768\n");
        assertThatThrownBy(() -> SingleFileModel.convert(ckpt, null, tmp.resolve("out"), false))
                .hasMessageContaining("unet.cross_attention_dim = [768, 768]").hasMessageContaining("tiny.yaml");
        Files.writeString(tmp.resolve("bad.yaml"), "parameterization: x0\n");
        assertThatThrownBy(() -> SingleFileModel.convert(ckpt, tmp.resolve("bad.yaml"), tmp.resolve("out"), false))
                .hasMessageContaining("bad.yaml: parameterization 'x0' (expected eps or v)");
    }

    private Path writeTiny(Path file) throws Exception {
        SingleFileRoundTripTest.writeSingleFile(TinyModels.sd1(tmp.resolve("tiny-sd1")), file);
        return file;
    }
}
