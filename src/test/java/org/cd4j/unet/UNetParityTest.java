package org.cd4j.unet;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cd4j.unet.UNetTestSupport.REFS;
import static org.cd4j.unet.UNetTestSupport.TINY_768_UNET;
import static org.cd4j.unet.UNetTestSupport.TINY_UNET;
import static org.cd4j.unet.UNetTestSupport.allFinite;
import static org.cd4j.unet.UNetTestSupport.assertClose;

/** tiny-sd1's UNet against diffusers 0.21.4 outputs (refs/tiny-sd1/unet.safetensors). */
class UNetParityTest {
    static UNet2DConditionModel model;
    static Map<String, Tensor> refs;

    @BeforeAll
    static void load() throws IOException {
        model = UNet2DConditionModel.load(TINY_UNET, DType.F32);
        refs = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(REFS)) {
            for (String k : f.keys()) refs.put(k, f.tensor(k).clone()); // own the data beyond the mapping
        }
    }

    private static Tensor run(String c) {
        try (NoGradGuard g = new NoGradGuard()) {
            return model.forward(refs.get("unet." + c + ".sample"), refs.get("unet." + c + ".timestep"),
                    refs.get("unet." + c + ".encoder_hidden_states"));
        }
    }

    @Test
    void caseABatchTwoWithPerSampleIntTimesteps() {
        assertClose("A.out", run("A"), refs.get("unet.A.out"));
    }

    @Test
    void caseBZeroDimTimestep() {
        assertThat(refs.get("unet.B.timestep").dim()).isZero();
        assertClose("B.out", run("B"), refs.get("unet.B.out"));
    }

    @Test
    void caseCNonSquareLatentFractionalTimestepSevenTokens() {
        assertClose("C.out", run("C"), refs.get("unet.C.out"));
    }

    @Test
    void caseCWithAJavaDoubleTimestep() {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor out = model.forward(refs.get("unet.C.sample"), 749.25, refs.get("unet.C.encoder_hidden_states"));
            assertClose("C.out (double timestep)", out, refs.get("unet.C.out"));
        }
    }

    @Test
    void timeProjectionAndTimeEmbedding() {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor proj = model.timeProjection(refs.get("unet.A.timestep"), 2);
            assertClose("A.time_proj", proj, refs.get("unet.A.time_proj"));
            assertClose("A.time_embedding", model.timeEmbedding().forward(proj), refs.get("unet.A.time_embedding"));
        }
    }

    @Test
    void scalarTimestepBroadcastsLikePerSampleTimesteps() {
        Tensor sample = refs.get("unet.A.sample");
        Tensor ctx = refs.get("unet.A.encoder_hidden_states");
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor a = model.forward(sample, Tensors.fromLongs(new long[]{321}), ctx);
            Tensor b = model.forward(sample, Tensors.fromLongs(new long[]{321, 321}, 2), ctx);
            assertThat(Tensors.maxAbsDiff(a, b)).isZero();
        }
    }

    @Test
    void tinySd1With768WideContextLoadsStrictlyAndRuns() throws IOException {
        UNet2DConditionModel m768 = UNet2DConditionModel.load(TINY_768_UNET, DType.F32);
        assertThat(m768.config().crossAttentionDim()).containsExactly(768, 768);
        assertThat(m768.config().layersPerBlock()).containsExactly(1, 1);
        Rng rng = Rng.seeded(3);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor out = m768.forward(rng.randn(1, 4, 16, 16), Tensors.fromLongs(new long[]{10}), rng.randn(1, 77, 768));
            assertThat(Tensors.shape(out)).containsExactly(1, 4, 16, 16);
            assertThat(allFinite(out)).isTrue();
        }
    }

    @Test
    void attentionsAreEnumeratedByDiffusersName() {
        Map<String, Attention> attns = model.attentions();
        // tiny-sd1: down 0 has 2 transformers, the mid block 1, up 1 has 3; each with attn1 + attn2.
        assertThat(attns).hasSize(12);
        assertThat(attns.keySet()).startsWith("down_blocks.0.attentions.0.transformer_blocks.0.attn1",
                "down_blocks.0.attentions.0.transformer_blocks.0.attn2");
        // diffusers' module order: down_blocks, up_blocks, then mid_block (registered last in its __init__)
        assertThat(new java.util.ArrayList<>(attns.keySet()).subList(4, 12)).containsExactly(
                "up_blocks.1.attentions.0.transformer_blocks.0.attn1", "up_blocks.1.attentions.0.transformer_blocks.0.attn2",
                "up_blocks.1.attentions.1.transformer_blocks.0.attn1", "up_blocks.1.attentions.1.transformer_blocks.0.attn2",
                "up_blocks.1.attentions.2.transformer_blocks.0.attn1", "up_blocks.1.attentions.2.transformer_blocks.0.attn2",
                "mid_block.attentions.0.transformer_blocks.0.attn1", "mid_block.attentions.0.transformer_blocks.0.attn2");
        Attention attn2 = attns.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2");
        assertThat(attn2.isCrossAttention()).isTrue();
        assertThat(attn2.heads()).isEqualTo(4); // attention_head_dim 4 is the head COUNT
        assertThat(attn2.headDim()).isEqualTo(8);
        assertThat(attns.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1").isCrossAttention()).isFalse();
        assertThat(attns.get("mid_block.attentions.0.transformer_blocks.0.attn1").headDim()).isEqualTo(16);
        // every attention's parameters are the model's parameters under that name
        assertThat(model.namedParameters()).containsKey("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight");
        assertThat(model.namedParameters().get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"))
                .isSameAs(attn2.toK().weight());
    }
}
