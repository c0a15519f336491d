package org.cd4j.unet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.nn.WeightMismatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cd4j.unet.UNetTestSupport.TINY_UNET;
import static org.cd4j.unet.UNetTestSupport.allFinite;
import static org.cd4j.unet.UNetTestSupport.parse;
import static org.cd4j.unet.UNetTestSupport.randomize;
import static org.cd4j.unet.UNetTestSupport.tinyConfig;

/** State-dict layouts of other configurations, odd latent sizes, and loading errors. */
class UNetStructureTest {

    /** Key → shape of a module's parameters, as text for readable diffs. */
    static Map<String, String> shapes(Map<String, Tensor> params) {
        Map<String, String> out = new TreeMap<>();
        params.forEach((k, t) -> out.put(k, Arrays.toString(Tensors.shape(t))));
        return out;
    }

    static Map<String, String> tinyCheckpointShapes() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(TINY_UNET.resolve(UNet2DConditionModel.SAFETENSORS_WEIGHTS))) {
            Map<String, String> out = new TreeMap<>();
            for (String k : f.keys()) out.put(k, Arrays.toString(f.info(k).shape()));
            return out;
        }
    }

    /**
     * An SD-2-style tiny UNet (linear proj_in/proj_out, per-block attention_head_dim, upcast
     * attention, 48-wide context). Its diffusers key set is tiny-sd1's real checkpoint keys with
     * proj_in/proj_out weights 2-D and the cross-attention key/value inputs 48 wide.
     */
    @Test
    void sd2StyleConfigHasDiffusersKeysAndRuns() throws IOException {
        ObjectNode n = tinyConfig();
        n.put("use_linear_projection", true);
        n.putArray("attention_head_dim").add(2).add(4);
        n.put("cross_attention_dim", 48);
        n.put("upcast_attention", true);
        UNet2DConditionModel m = new UNet2DConditionModel(parse(n), DType.F32);

        Map<String, String> expected = new TreeMap<>();
        tinyCheckpointShapes().forEach((k, s) -> {
            if (k.endsWith("proj_in.weight") || k.endsWith("proj_out.weight")) s = s.replace(", 1, 1]", "]");
            if (k.contains("attn2.to_k.weight") || k.contains("attn2.to_v.weight")) s = s.replace(", 32]", ", 48]");
            expected.put(k, s);
        });
        assertThat(shapes(m.namedParameters())).isEqualTo(expected);
        assertThat(expected).containsEntry("mid_block.attentions.0.proj_in.weight", "[64, 64]")
                .containsEntry("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight", "[64, 48]");

        Map<String, Attention> attns = m.attentions();
        assertThat(attns.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1").heads()).isEqualTo(2);
        assertThat(attns.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1").headDim()).isEqualTo(16);
        assertThat(attns.get("mid_block.attentions.0.transformer_blocks.0.attn2").heads()).isEqualTo(4);
        assertThat(attns.get("up_blocks.1.attentions.0.transformer_blocks.0.attn2").heads()).isEqualTo(2);
        assertThat(attns.values()).allMatch(Attention::upcastAttention);

        randomize(m, 11, 0.05);
        Rng rng = Rng.seeded(5);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor out = m.forward(rng.randn(2, 4, 16, 16), Tensors.fromLongs(new long[]{999, 0}, 2), rng.randn(2, 5, 48));
            assertThat(Tensors.shape(out)).containsExactly(2, 4, 16, 16);
            assertThat(allFinite(out)).isTrue();
        }
    }

    /** A bf16 copy of a model, with upcast attention, stays close to fp32. */
    @Test
    void bf16WithUpcastAttentionTracksFloat32() throws IOException {
        ObjectNode n = tinyConfig();
        n.put("use_linear_projection", true);
        n.put("upcast_attention", true);
        UNetConfig config = parse(n);
        UNet2DConditionModel m32 = new UNet2DConditionModel(config, DType.F32);
        randomize(m32, 12, 0.05);
        UNet2DConditionModel m16 = new UNet2DConditionModel(config, DType.BF16);
        m16.loadStateDict(m32.namedParameters(), "fp32 copy");
        Rng rng = Rng.seeded(6);
        Tensor x = rng.randn(1, 4, 8, 8);
        Tensor ctx = rng.randn(1, 7, 32);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor a = m32.forward(x, Tensors.fromLongs(new long[]{400}), ctx);
            Tensor b = m16.forward(x, Tensors.fromLongs(new long[]{400}), ctx);
            assertThat(b.scalar_type().value).isEqualTo(torch.ScalarType.BFloat16.value); // by code: JavaCPP enums are fresh instances
            double rel = Tensors.maxAbsDiff(a, b) / Tensors.maxAbs(a);
            System.out.printf("[unet] bf16 vs fp32 relative max diff %.3g%n", rel);
            assertThat(rel).isLessThan(0.1);
        }
    }

    private static void resnet(Map<String, String> m, String p, int in, int out) {
        m.put(p + ".norm1.weight", "[" + in + "]");
        m.put(p + ".norm1.bias", "[" + in + "]");
        m.put(p + ".conv1.weight", "[" + out + ", " + in + ", 3, 3]");
        m.put(p + ".conv1.bias", "[" + out + "]");
        m.put(p + ".time_emb_proj.weight", "[" + out + ", 128]");
        m.put(p + ".time_emb_proj.bias", "[" + out + "]");
        m.put(p + ".norm2.weight", "[" + out + "]");
        m.put(p + ".norm2.bias", "[" + out + "]");
        m.put(p + ".conv2.weight", "[" + out + ", " + out + ", 3, 3]");
        m.put(p + ".conv2.bias", "[" + out + "]");
        if (in != out) {
            m.put(p + ".conv_shortcut.weight", "[" + out + ", " + in + ", 1, 1]");
            m.put(p + ".conv_shortcut.bias", "[" + out + "]");
        }
    }

    private static void transformer(Map<String, String> m, String p, int c, int ctx) {
        m.put(p + ".norm.weight", "[" + c + "]");
        m.put(p + ".norm.bias", "[" + c + "]");
        m.put(p + ".proj_in.weight", "[" + c + ", " + c + ", 1, 1]");
        m.put(p + ".proj_in.bias", "[" + c + "]");
        String b = p + ".transformer_blocks.0";
        for (String norm : List.of("norm1", "norm2", "norm3")) {
            m.put(b + "." + norm + ".weight", "[" + c + "]");
            m.put(b + "." + norm + ".bias", "[" + c + "]");
        }
        for (String a : List.of("attn1", "attn2")) {
            int kv = a.equals("attn2") ? ctx : c;
            m.put(b + "." + a + ".to_q.weight", "[" + c + ", " + c + "]");
            m.put(b + "." + a + ".to_k.weight", "[" + c + ", " + kv + "]");
            m.put(b + "." + a + ".to_v.weight", "[" + c + ", " + kv + "]");
            m.put(b + "." + a + ".to_out.0.weight", "[" + c + ", " + c + "]");
            m.put(b + "." + a + ".to_out.0.bias", "[" + c + "]");
        }
        m.put(b + ".ff.net.0.proj.weight", "[" + 8 * c + ", " + c + "]");
        m.put(b + ".ff.net.0.proj.bias", "[" + 8 * c + "]");
        m.put(b + ".ff.net.2.weight", "[" + c + ", " + 4 * c + "]");
        m.put(b + ".ff.net.2.bias", "[" + c + "]");
        m.put(p + ".proj_out.weight", "[" + c + ", " + c + ", 1, 1]");
        m.put(p + ".proj_out.bias", "[" + c + "]");
    }

    static UNetConfig threeBlockConfig() throws IOException {
        ObjectNode n = tinyConfig();
        n.putArray("block_out_channels").add(32).add(64).add(64);
        n.putArray("down_block_types").add("CrossAttnDownBlock2D").add("CrossAttnDownBlock2D").add("DownBlock2D");
        n.putArray("up_block_types").add("UpBlock2D").add("CrossAttnUpBlock2D").add("CrossAttnUpBlock2D");
        n.put("layers_per_block", 1);
        n.put("attention_head_dim", 2);
        n.put("cross_attention_dim", 16);
        return parse(n);
    }

    /** Three blocks [32, 64, 64], one layer per block: the diffusers key set, derived by hand. */
    @Test
    void threeBlockConfigHasDiffusersKeys() throws IOException {
        Map<String, String> e = new TreeMap<>();
        e.put("conv_in.weight", "[32, 4, 3, 3]");
        e.put("conv_in.bias", "[32]");
        e.put("time_embedding.linear_1.weight", "[128, 32]");
        e.put("time_embedding.linear_1.bias", "[128]");
        e.put("time_embedding.linear_2.weight", "[128, 128]");
        e.put("time_embedding.linear_2.bias", "[128]");
        // down: conv_in(32) | d0: res 32, down 32 | d1: res 64, down 64 | d2: res 64  -> 6 skips
        resnet(e, "down_blocks.0.resnets.0", 32, 32);
        transformer(e, "down_blocks.0.attentions.0", 32, 16);
        e.put("down_blocks.0.downsamplers.0.conv.weight", "[32, 32, 3, 3]");
        e.put("down_blocks.0.downsamplers.0.conv.bias", "[32]");
        resnet(e, "down_blocks.1.resnets.0", 32, 64);
        transformer(e, "down_blocks.1.attentions.0", 64, 16);
        e.put("down_blocks.1.downsamplers.0.conv.weight", "[64, 64, 3, 3]");
        e.put("down_blocks.1.downsamplers.0.conv.bias", "[64]");
        resnet(e, "down_blocks.2.resnets.0", 64, 64);
        resnet(e, "mid_block.resnets.0", 64, 64);
        transformer(e, "mid_block.attentions.0", 64, 16);
        resnet(e, "mid_block.resnets.1", 64, 64);
        // up 0 (UpBlock2D, 64): pops d2 res (64), d1 down (64)
        resnet(e, "up_blocks.0.resnets.0", 64 + 64, 64);
        resnet(e, "up_blocks.0.resnets.1", 64 + 64, 64);
        e.put("up_blocks.0.upsamplers.0.conv.weight", "[64, 64, 3, 3]");
        e.put("up_blocks.0.upsamplers.0.conv.bias", "[64]");
        // up 1 (CrossAttnUpBlock2D, 64): pops d1 res (64), d0 down (32)
        resnet(e, "up_blocks.1.resnets.0", 64 + 64, 64);
        resnet(e, "up_blocks.1.resnets.1", 64 + 32, 64);
        transformer(e, "up_blocks.1.attentions.0", 64, 16);
        transformer(e, "up_blocks.1.attentions.1", 64, 16);
        e.put("up_blocks.1.upsamplers.0.conv.weight", "[64, 64, 3, 3]");
        e.put("up_blocks.1.upsamplers.0.conv.bias", "[64]");
        // up 2 (CrossAttnUpBlock2D, 32): pops d0 res (32), conv_in (32); no upsampler
        resnet(e, "up_blocks.2.resnets.0", 64 + 32, 32);
        resnet(e, "up_blocks.2.resnets.1", 32 + 32, 32);
        transformer(e, "up_blocks.2.attentions.0", 32, 16);
        transformer(e, "up_blocks.2.attentions.1", 32, 16);
        e.put("conv_norm_out.weight", "[32]");
        e.put("conv_norm_out.bias", "[32]");
        e.put("conv_out.weight", "[4, 32, 3, 3]");
        e.put("conv_out.bias", "[4]");

        UNet2DConditionModel m = new UNet2DConditionModel(threeBlockConfig(), DType.F32);
        assertThat(shapes(m.namedParameters())).isEqualTo(e);
        assertThat(m.attentions()).hasSize(2 * 7); // 2 down + 1 mid + 4 up transformers
    }

    /**
     * Latents whose sides do not halve evenly twice: diffusers forwards each skip connection's
     * size to the upsamplers, so the output keeps the input's size.
     */
    @Test
    void oddLatentSizesKeepTheirShape() throws IOException {
        UNet2DConditionModel m = new UNet2DConditionModel(threeBlockConfig(), DType.F32);
        randomize(m, 13, 0.05);
        Rng rng = Rng.seeded(7);
        try (NoGradGuard g = new NoGradGuard()) {
            for (long[] hw : new long[][]{{13, 19}, {10, 14}, {12, 20}, {9, 9}, {16, 16}}) {
                Tensor out = m.forward(rng.randn(1, 4, hw[0], hw[1]), Tensors.fromLongs(new long[]{500}), rng.randn(1, 3, 16));
                assertThat(Tensors.shape(out)).as("latent %dx%d", hw[0], hw[1]).containsExactly(1, 4, hw[0], hw[1]);
                assertThat(allFinite(out)).isTrue();
            }
        }
    }

    @Test
    void wrongShapedWeightNamesTheKey() throws IOException {
        UNet2DConditionModel m = new UNet2DConditionModel(parse(tinyConfig()), DType.F32);
        try (SafetensorsFile f = SafetensorsFile.open(TINY_UNET.resolve(UNet2DConditionModel.SAFETENSORS_WEIGHTS))) {
            Map<String, Tensor> sd = new java.util.LinkedHashMap<>(f.tensors());
            sd.put("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_v.weight", Tensors.fromFloats(new float[32 * 16], 32, 16));
            assertThatThrownBy(() -> m.loadStateDict(sd, "test weights"))
                    .isInstanceOf(WeightMismatchException.class)
                    .hasMessageContaining("test weights")
                    .hasMessageContaining("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_v.weight has shape [32, 16], expected [32, 32]");
        }
    }

    @Test
    void loadingWeightsOfAnotherConfigNamesTheFileAndKeys(@TempDir Path dir) throws IOException {
        ObjectNode n = tinyConfig();
        n.put("cross_attention_dim", 48);
        Files.writeString(dir.resolve("config.json"), n.toString());
        Files.copy(TINY_UNET.resolve(UNet2DConditionModel.SAFETENSORS_WEIGHTS), dir.resolve(UNet2DConditionModel.SAFETENSORS_WEIGHTS));
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, DType.F32))
                .isInstanceOf(WeightMismatchException.class)
                .hasMessageContaining(dir.resolve(UNet2DConditionModel.SAFETENSORS_WEIGHTS).toString())
                .hasMessageContaining("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight has shape [32, 32], expected [32, 48]");
    }

    @Test
    void folderProblemsAreClear(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir.resolve("missing"), DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing");
        Files.copy(TINY_UNET.resolve("config.json"), dir.resolve("config.json"));
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining(UNet2DConditionModel.SAFETENSORS_WEIGHTS);
        Files.write(dir.resolve(UNet2DConditionModel.BIN_WEIGHTS), new byte[]{'P', 'K', 3, 4, 0, 0});
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, DType.F32))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(UNet2DConditionModel.BIN_WEIGHTS);
    }

    /** A diffusers folder with only {@code diffusion_pytorch_model.bin} loads the same weights. */
    @Test
    void binWeightsLoadLikeSafetensors(@TempDir Path dir) throws IOException {
        Files.copy(TINY_UNET.resolve("config.json"), dir.resolve("config.json"));
        UNet2DConditionModel ref = UNet2DConditionModel.load(TINY_UNET, DType.F32);
        org.cd4j.io.TorchPickleWriter.write(dir.resolve(UNet2DConditionModel.BIN_WEIGHTS),
                new java.util.LinkedHashMap<String, Object>(ref.namedParameters()));
        UNet2DConditionModel fromBin = UNet2DConditionModel.load(dir, DType.F32);
        Map<String, Tensor> a = ref.namedParameters();
        Map<String, Tensor> b = fromBin.namedParameters();
        assertThat(b.keySet()).isEqualTo(a.keySet());
        for (String k : a.keySet()) assertThat(Tensors.maxAbsDiff(a.get(k), b.get(k))).as(k).isZero();
    }

    @Test
    void badForwardInputsAreExplained() throws IOException {
        UNet2DConditionModel m = new UNet2DConditionModel(parse(tinyConfig()), DType.F32);
        Rng rng = Rng.seeded(8);
        try (NoGradGuard g = new NoGradGuard()) {
            assertThatThrownBy(() -> m.forward(rng.randn(1, 3, 8, 8), Tensors.fromLongs(new long[]{1}), rng.randn(1, 7, 32)))
                    .hasMessageContaining("(B, 4, H, W)");
            assertThatThrownBy(() -> m.forward(rng.randn(1, 4, 8, 8), Tensors.fromLongs(new long[]{1}), rng.randn(1, 7, 16)))
                    .hasMessageContaining("(1, S, 32)");
            assertThatThrownBy(() -> m.forward(rng.randn(2, 4, 8, 8), Tensors.fromLongs(new long[]{1, 2, 3}, 3), rng.randn(2, 7, 32)))
                    .hasMessageContaining("timestep must be a scalar or have shape (2)");
        }
    }
}
