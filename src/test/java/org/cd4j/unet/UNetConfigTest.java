package org.cd4j.unet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cd4j.unet.UNetTestSupport.JSON;
import static org.cd4j.unet.UNetTestSupport.TINY_UNET;
import static org.cd4j.unet.UNetTestSupport.parse;
import static org.cd4j.unet.UNetTestSupport.tinyConfig;

class UNetConfigTest {
    @Test
    void tinySd1ConfigReadsWithDiffusersMeaning() throws IOException {
        UNetConfig c = UNetConfig.load(TINY_UNET.resolve("config.json"));
        assertThat(c.blockOutChannels()).containsExactly(32, 64);
        assertThat(c.downBlockTypes()).containsExactly("CrossAttnDownBlock2D", "DownBlock2D");
        assertThat(c.upBlockTypes()).containsExactly("UpBlock2D", "CrossAttnUpBlock2D");
        assertThat(c.midBlockType()).isEqualTo("UNetMidBlock2DCrossAttn");
        assertThat(c.layersPerBlock()).containsExactly(2, 2);
        assertThat(c.attentionHeadDim()).containsExactly(4, 4);
        assertThat(c.numAttentionHeads()).isNull();
        assertThat(c.headsFor(0)).isEqualTo(4); // the quirk: attention_head_dim is the head count
        assertThat(c.crossAttentionDim()).containsExactly(32, 32);
        assertThat(c.transformerLayersPerBlock()).containsExactly(1, 1);
        assertThat(c.onlyCrossAttention()).containsExactly(false, false);
        assertThat(c.timeEmbedDim()).isEqualTo(128);
        assertThat(c.numUpsamplers()).isEqualTo(1);
        assertThat(c.flipSinToCos()).isTrue();
        assertThat(c.freqShift()).isZero();
        assertThat(c.sampleSize()).isEqualTo(16);
        assertThat(c.normEps()).isEqualTo(1e-5);
    }

    @Test
    void missingFieldsTakeDiffusersDefaults() {
        UNetConfig c = UNetConfig.fromJson("{}", "unet/config.json");
        assertThat(c.blockOutChannels()).containsExactly(320, 640, 1280, 1280);
        assertThat(c.downBlockTypes()).containsExactly("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D", "DownBlock2D");
        assertThat(c.attentionHeadDim()).containsExactly(8, 8, 8, 8);
        assertThat(c.crossAttentionDim()).containsExactly(1280, 1280, 1280, 1280);
        assertThat(c.layersPerBlock()).containsExactly(2, 2, 2, 2);
        assertThat(c.midBlockType()).isEqualTo("UNetMidBlock2DCrossAttn");
        assertThat(c.sampleSize()).isNull();
        assertThat(c.actFn()).isEqualTo("silu");
    }

    @Test
    void perBlockListsAndNumAttentionHeads() throws IOException {
        ObjectNode n = tinyConfig();
        n.putArray("attention_head_dim").add(2).add(8);
        n.putArray("layers_per_block").add(1).add(2);
        n.putArray("cross_attention_dim").add(24).add(24);
        n.putArray("only_cross_attention").add(true).add(false);
        n.put("transformer_layers_per_block", 2);
        UNetConfig c = parse(n);
        assertThat(c.headsFor(0)).isEqualTo(2);
        assertThat(c.headsFor(1)).isEqualTo(8);
        assertThat(c.layersPerBlock()).containsExactly(1, 2);
        assertThat(c.onlyCrossAttention()).containsExactly(true, false);
        assertThat(c.transformerLayersPerBlock()).containsExactly(2, 2);

        n.put("num_attention_heads", 1); // given: it is the head count, attention_head_dim is then ignored
        assertThat(parse(n).headsFor(1)).isEqualTo(1);
    }

    @Test
    void sdxlConfigIsRefusedWithAnExplanation() {
        String sdxl = "{\"_class_name\": \"UNet2DConditionModel\", \"act_fn\": \"silu\","
                + " \"addition_embed_type\": \"text_time\", \"addition_embed_type_num_heads\": 64,"
                + " \"addition_time_embed_dim\": 256, \"attention_head_dim\": [5, 10, 20],"
                + " \"block_out_channels\": [320, 640, 1280], \"cross_attention_dim\": 2048,"
                + " \"down_block_types\": [\"DownBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\"],"
                + " \"up_block_types\": [\"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\", \"UpBlock2D\"],"
                + " \"projection_class_embeddings_input_dim\": 2816, \"transformer_layers_per_block\": [1, 2, 10],"
                + " \"upcast_attention\": null, \"use_linear_projection\": true, \"sample_size\": 128}";
        assertThatThrownBy(() -> UNetConfig.fromJson(sdxl, "unet/config.json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unet/config.json: addition_embed_type 'text_time' is not supported (SD-1.x/2.x only)");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "resnet_time_scale_shift | \"scale_shift\"",
            "dual_cross_attention | true",
            "class_embed_type | \"timestep\"",
            "encoder_hid_dim | 32",
            "encoder_hid_dim_type | \"text_proj\"",
            "time_embedding_type | \"fourier\"",
            "down_block_types | [\"SimpleCrossAttnDownBlock2D\", \"DownBlock2D\"]",
            "up_block_types | [\"UpBlock2D\", \"AttnUpBlock2D\"]",
            "mid_block_type | \"UNetMidBlock2DSimpleCrossAttn\"",
            "time_cond_proj_dim | 256",
            "time_embedding_dim | 64",
            "time_embedding_act_fn | \"silu\"",
            "timestep_post_act | \"silu\"",
            "num_class_embeds | 10",
            "attention_type | \"gated\"",
            "reverse_transformer_layers_per_block | [[1], [1]]",
            "act_fn | \"mish\"",
            "layers_per_block | [1, 2, 3]",
            "attention_head_dim | 5",
            "attention_head_dim | [4]",
            "block_out_channels | [32, 48]",
            "cross_attention_dim | [32, 32, 32]",
            "in_channels | \"4\"",
            "norm_eps | \"x\"",
            "use_linear_projection | 1",
            "conv_in_kernel | 2",
            "transformer_layers_per_block | [[1, 2], [1]]",
            "frobnicate | 3",
    })
    void unsupportedValuesAreRefusedNamingTheFileAndField(String field, String json) throws IOException {
        ObjectNode n = tinyConfig();
        n.set(field, JSON.readTree(json));
        assertThatThrownBy(() -> parse(n))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unet/config.json: ")
                .hasMessageContaining(field);
    }

    @Test
    void headCountThatDoesNotDivideTheChannelsNamesTheField() throws IOException {
        ObjectNode n = tinyConfig();
        n.put("attention_head_dim", 5);
        assertThatThrownBy(() -> parse(n)).hasMessageContaining("attention_head_dim[0] = 5")
                .hasMessageContaining("block_out_channels[0] = 32");
        n.remove("attention_head_dim");
        n.put("norm_num_groups", 24);
        assertThatThrownBy(() -> parse(n)).hasMessageContaining("norm_num_groups 24");
    }

    @Test
    void harmlessAndMetadataFieldsAreIgnored() throws IOException {
        ObjectNode n = tinyConfig();
        n.put("_name_or_path", "somewhere");
        n.putArray("_use_default_values").add("x");
        n.putNull("some_future_option");
        n.put("another_future_switch", false);
        n.put("resnet_out_scale_factor", 2.0);   // only used by block types cd4j refuses
        n.put("cross_attention_norm", "group_norm");
        n.put("mid_block_only_cross_attention", true);
        n.put("dropout", 0.1);
        n.putNull("upcast_attention");            // SDXL writes null: falsy in diffusers
        n.putNull("reverse_transformer_layers_per_block");
        UNetConfig c = parse(n);
        assertThat(c.upcastAttention()).isFalse();
        assertThat(c.dropout()).isEqualTo(0.1);
    }

    @Test
    void nullMidBlockMeansNoMidBlock() throws IOException {
        ObjectNode n = tinyConfig();
        n.putNull("mid_block_type");
        assertThat(parse(n).midBlockType()).isNull();
        assertThat(new UNet2DConditionModel(parse(n), org.cd4j.nn.DType.F32).namedParameters().keySet())
                .noneMatch(k -> k.startsWith("mid_block"));
    }

    @Test
    void aDifferentModelClassIsRefused() throws IOException {
        ObjectNode n = tinyConfig();
        n.put("_class_name", "ControlNetModel");
        assertThatThrownBy(() -> parse(n)).hasMessageContaining("_class_name 'ControlNetModel'");
    }

    @Test
    void fileErrorsNameTheFile(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("config.json");
        Files.writeString(bad, "{\"in_channels\": 4,,}");
        assertThatThrownBy(() -> UNetConfig.load(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(bad + ": not valid JSON");
        assertThatThrownBy(() -> UNetConfig.load(dir.resolve("nope.json"))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("nope.json");
        Files.writeString(bad, "[1, 2]");
        assertThatThrownBy(() -> UNetConfig.load(bad)).hasMessageContaining("expected a JSON object");
    }

    @Test
    void recordValidatesDirectConstructionToo() throws IOException {
        UNetConfig c = parse(tinyConfig());
        assertThatThrownBy(() -> new UNetConfig(c.sampleSize(), c.inChannels(), c.outChannels(), c.centerInputSample(),
                c.flipSinToCos(), c.freqShift(), c.downBlockTypes(), c.midBlockType(), c.upBlockTypes(),
                c.onlyCrossAttention(), c.blockOutChannels(), java.util.List.of(2), c.downsamplePadding(),
                c.midBlockScaleFactor(), c.dropout(), c.actFn(), c.normNumGroups(), c.normEps(), c.crossAttentionDim(),
                c.transformerLayersPerBlock(), c.attentionHeadDim(), c.numAttentionHeads(), c.dualCrossAttention(),
                c.useLinearProjection(), c.upcastAttention(), c.resnetTimeScaleShift(), c.timeEmbeddingType(),
                c.convInKernel(), c.convOutKernel(), c.classEmbedType(), c.additionEmbedType(), c.encoderHidDim()))
                .hasMessageContaining("layers_per_block has 1 entries but down_block_types has 2");
    }
}
