package org.cd4j.vae;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Parity;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.nn.WeightMismatchException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cd4j.vae.VaeTestSupport.VAE;
import static org.cd4j.vae.VaeTestSupport.assertClose;
import static org.cd4j.vae.VaeTestSupport.randomize;
import static org.cd4j.vae.VaeTestSupport.readAll;
import static org.cd4j.vae.VaeTestSupport.writeSafetensors;

class AutoencoderKLTest {
    static Map<String, Tensor> refs;
    static AutoencoderKL vae;

    /** Three levels, narrow, two latent channels: every structural rule with few weights. */
    static final VaeConfig TINY = VaeConfig.of(3, 3, 2, List.of(8, 16, 16), 1, 4);

    @BeforeAll
    static void setUp() throws IOException {
        refs = readAll(VaeTestSupport.FIXTURES.resolve("refs/tiny-sd1/vae.safetensors"));
        vae = AutoencoderKL.load(VAE, DType.F32);
    }

    @Test
    void encodeMatchesDiffusers() {
        try (NoGradGuard g = new NoGradGuard()) {
            EncoderOutput out = vae.encode(refs.get("vae.encode.input"));
            assertClose("vae.encode.moments", out.moments(), refs.get("vae.encode.moments"));
            assertClose("vae.encode.mean", out.mean(), refs.get("vae.encode.mean"));
            assertClose("vae.encode.logvar", out.logvar(), refs.get("vae.encode.logvar"));
            assertClose("vae.encode.std", out.std(), refs.get("vae.encode.std"));
            assertThat(out.mode()).isSameAs(out.mean());
        }
    }

    @Test
    void decodeMatchesDiffusers() {
        try (NoGradGuard g = new NoGradGuard()) {
            assertClose("vae.decode.out", vae.decode(refs.get("vae.decode.input")), refs.get("vae.decode.out"));
        }
        assertThat(vae.scalingFactor()).isEqualTo(0.18215);
    }

    @Test
    void sampleDrawsOneRandnOfTheMeanShapeLikeDiffusers() {
        try (NoGradGuard g = new NoGradGuard()) {
            EncoderOutput out = vae.encode(refs.get("vae.encode.input"));
            Tensor s = out.sample(Rng.seeded(1234));
            // diffusers: mean + std * randn(mean.shape, generator)
            Tensor expected = out.mean().add(out.std().mul(Rng.seeded(1234).randn(1, 4, 16, 16)));
            assertThat(Tensors.maxAbsDiff(s, expected)).isZero();
            assertThat(Tensors.maxAbsDiff(out.sample(Rng.seeded(1234)), s)).isZero();
            assertThat(Tensors.maxAbsDiff(out.sample(Rng.seeded(1235)), s)).isGreaterThan(0);
        }
    }

    @Test
    void logvarIsClampedButMomentsAreNot() {
        Tensor moments = Tensors.fromFloats(new float[]{0f, 1f, -50f, 30f}, 1, 4, 1, 1);
        EncoderOutput out = EncoderOutput.fromMoments(moments);
        assertThat(Tensors.toFloats(out.mean())).containsExactly(0f, 1f);
        assertThat(Tensors.toFloats(out.logvar())).containsExactly(-30f, 20f);
        assertThat(Tensors.toFloats(out.std())[1]).isEqualTo((float) Math.exp(10.0));
        assertThat(Tensors.toFloats(out.moments())).containsExactly(0f, 1f, -50f, 30f);
    }

    @Test
    void fixtureWeightsMatchTheModelKeyForKey() throws IOException {
        Map<String, Tensor> file = readAll(VAE.resolve("diffusion_pytorch_model.safetensors"));
        assertThat(vae.namedParameters().keySet()).containsExactlyInAnyOrderElementsOf(file.keySet());
        // layers_per_block 1 variant of the same family
        AutoencoderKL other = AutoencoderKL.load(VaeTestSupport.FIXTURES.resolve("tiny-sd1-768/vae"), DType.F32);
        assertThat(other.config().layersPerBlock()).isEqualTo(1);
        assertThat(other.namedParameters()).hasSize(180);
    }

    @Test
    void threeLevelVaeHasDiffusersLayoutAndHandlesOddSizes() {
        AutoencoderKL m = new AutoencoderKL(TINY, DType.F32);
        randomize(m, 7);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> shapes.put(k, Tensors.shape(v)));
        assertThat(shapes.get("encoder.conv_in.weight")).containsExactly(8, 3, 3, 3);
        assertThat(shapes.get("encoder.down_blocks.0.downsamplers.0.conv.weight")).containsExactly(8, 8, 3, 3);
        assertThat(shapes.get("encoder.down_blocks.1.resnets.0.conv_shortcut.weight")).containsExactly(16, 8, 1, 1);
        assertThat(shapes.get("encoder.down_blocks.1.downsamplers.0.conv.weight")).containsExactly(16, 16, 3, 3);
        assertThat(shapes).doesNotContainKey("encoder.down_blocks.2.downsamplers.0.conv.weight");
        assertThat(shapes).doesNotContainKey("encoder.down_blocks.0.resnets.1.conv1.weight"); // layers_per_block 1
        assertThat(shapes.get("encoder.mid_block.attentions.0.to_out.0.weight")).containsExactly(16, 16);
        assertThat(shapes.get("encoder.mid_block.attentions.0.group_norm.weight")).containsExactly(16);
        assertThat(shapes.get("encoder.conv_out.weight")).containsExactly(4, 16, 3, 3);
        assertThat(shapes.get("quant_conv.weight")).containsExactly(4, 4, 1, 1);
        assertThat(shapes.get("post_quant_conv.weight")).containsExactly(2, 2, 1, 1);
        assertThat(shapes.get("decoder.conv_in.weight")).containsExactly(16, 2, 3, 3);
        // decoder: reversed channels (16, 16, 8), layers_per_block + 1 resnets, no upsampler on the last level
        assertThat(shapes).containsKey("decoder.up_blocks.0.resnets.1.conv2.weight");
        assertThat(shapes).doesNotContainKey("decoder.up_blocks.0.resnets.2.conv2.weight");
        assertThat(shapes.get("decoder.up_blocks.1.upsamplers.0.conv.weight")).containsExactly(16, 16, 3, 3);
        assertThat(shapes.get("decoder.up_blocks.2.resnets.0.conv_shortcut.weight")).containsExactly(8, 16, 1, 1);
        assertThat(shapes).doesNotContainKey("decoder.up_blocks.2.upsamplers.0.conv.weight");
        assertThat(shapes.get("decoder.conv_norm_out.weight")).containsExactly(8);
        assertThat(shapes.get("decoder.conv_out.weight")).containsExactly(3, 8, 3, 3);

        try (NoGradGuard g = new NoGradGuard()) {
            // 13 -> 6 -> 3 and 17 -> 8 -> 4: diffusers pads right/bottom by one before each stride-2 conv
            EncoderOutput enc = m.encode(Rng.seeded(1).randn(2, 3, 13, 17));
            assertThat(Tensors.shape(enc.moments())).containsExactly(2, 4, 3, 4);
            assertThat(Tensors.shape(enc.mean())).containsExactly(2, 2, 3, 4);
            Tensor img = m.decode(enc.sample(Rng.seeded(2)));
            assertThat(Tensors.shape(img)).containsExactly(2, 3, 12, 16);
            assertThat(Double.isFinite(Tensors.maxAbs(img))).isTrue();
        }
        assertThat(TINY.downscaleFactor()).isEqualTo(4);
    }

    @Test
    void savedAndReloadedFolderGivesTheSameOutputs(@TempDir Path tmp) throws IOException {
        AutoencoderKL m = new AutoencoderKL(TINY, DType.F32);
        randomize(m, 11);
        Path dir = Files.createDirectories(tmp.resolve("vae"));
        Files.writeString(dir.resolve("config.json"), """
                {"_class_name": "AutoencoderKL", "_diffusers_version": "0.21.4", "act_fn": "silu",
                 "block_out_channels": [8, 16, 16],
                 "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
                 "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
                 "in_channels": 3, "out_channels": 3, "latent_channels": 2, "layers_per_block": 1,
                 "norm_num_groups": 4, "sample_size": 32, "scaling_factor": 0.5, "force_upcast": true}
                """);
        writeSafetensors(dir.resolve("diffusion_pytorch_model.safetensors"), m.namedParameters());
        AutoencoderKL back = AutoencoderKL.load(dir, DType.F32);
        assertThat(back.scalingFactor()).isEqualTo(0.5);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor x = Rng.seeded(3).randn(1, 3, 16, 16);
            assertThat(Tensors.maxAbsDiff(back.encode(x).moments(), m.encode(x).moments())).isZero();
            Tensor z = Rng.seeded(4).randn(1, 2, 4, 4);
            assertThat(Tensors.maxAbsDiff(back.decode(z), m.decode(z))).isZero();
        }
    }

    @Test
    void legacyAttentionNamesAndConvShapedWeightsLoad() {
        AutoencoderKL m = new AutoencoderKL(TINY, DType.F32);
        randomize(m, 5);
        Map<String, Tensor> legacy = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> {
            String key = k.replace(".to_q.", ".query.").replace(".to_k.", ".key.").replace(".to_v.", ".value.")
                    .replace(".to_out.0.", ".proj_attn.");
            // some converted checkpoints keep the LDM 1x1-conv shape (C, C, 1, 1)
            Tensor t = key.contains("attentions") && key.endsWith("weight") && v.dim() == 2 ? v.view(v.size(0), v.size(1), 1, 1) : v;
            legacy.put(key, t);
        });
        assertThat(legacy).containsKey("decoder.mid_block.attentions.0.proj_attn.weight");
        AutoencoderKL back = new AutoencoderKL(TINY, DType.F32);
        back.loadVaeStateDict(legacy, "legacy.safetensors");
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor z = Rng.seeded(4).randn(1, 2, 4, 4);
            assertThat(Tensors.maxAbsDiff(back.decode(z), m.decode(z))).isZero();
        }
    }

    @Test
    void midBlockWithoutAttentionHasNoAttentionWeights() {
        VaeConfig c = new VaeConfig(3, 3, 2, List.of(8, 8), List.of("DownEncoderBlock2D", "DownEncoderBlock2D"),
                List.of("UpDecoderBlock2D", "UpDecoderBlock2D"), 1, 4, "silu", 0.18215, 32, true, false);
        AutoencoderKL m = new AutoencoderKL(c, DType.F32);
        assertThat(m.namedParameters().keySet()).noneMatch(k -> k.contains("attentions"));
        randomize(m, 1);
        try (NoGradGuard g = new NoGradGuard()) {
            assertThat(Tensors.shape(m.decode(m.encode(Rng.seeded(1).randn(1, 3, 8, 8)).mean()))).containsExactly(1, 3, 8, 8);
        }
    }

    @Test
    void wrongShapedWeightNamesTheKeyAndTheFile(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("vae"));
        Files.copy(VAE.resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> sd = readAll(VAE.resolve("diffusion_pytorch_model.safetensors"));
        sd.put("decoder.up_blocks.1.resnets.2.conv1.weight", sd.get("decoder.up_blocks.1.resnets.2.conv1.weight").narrow(0, 0, 63).clone());
        sd.remove("encoder.conv_in.bias");
        writeSafetensors(dir.resolve("diffusion_pytorch_model.safetensors"), sd);
        assertThatThrownBy(() -> AutoencoderKL.load(dir, DType.F32))
                .isInstanceOf(WeightMismatchException.class)
                .hasMessageContaining("diffusion_pytorch_model.safetensors")
                .hasMessageContaining("decoder.up_blocks.1.resnets.2.conv1.weight has shape [63, 64, 3, 3], expected [64, 64, 3, 3]")
                .hasMessageContaining("encoder.conv_in.bias");
    }

    @Test
    void missingFilesAndBinWeightsGiveClearErrors(@TempDir Path tmp) throws IOException {
        assertThatThrownBy(() -> AutoencoderKL.load(tmp.resolve("vae"), DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("vae");
        Path dir = Files.createDirectories(tmp.resolve("vae"));
        assertThatThrownBy(() -> AutoencoderKL.load(dir, DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("config.json");
        Files.copy(VAE.resolve("config.json"), dir.resolve("config.json"));
        assertThatThrownBy(() -> AutoencoderKL.load(dir, DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("diffusion_pytorch_model.safetensors");
        Files.write(dir.resolve("diffusion_pytorch_model.bin"), new byte[]{1});
        assertThatThrownBy(() -> AutoencoderKL.load(dir, DType.F32))
                .isInstanceOf(org.cd4j.io.FormatException.class).hasMessageContaining("diffusion_pytorch_model.bin");
    }

    @Test
    void loadsTorchBinWeightsLikeSafetensors(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("vae"));
        Files.copy(VAE.resolve("config.json"), dir.resolve("config.json"));
        try (org.cd4j.io.SafetensorsFile f = org.cd4j.io.SafetensorsFile.open(VAE.resolve("diffusion_pytorch_model.safetensors"))) {
            org.cd4j.io.TorchPickleWriter.write(dir.resolve("diffusion_pytorch_model.bin"), new java.util.LinkedHashMap<>(f.tensors()));
        }
        AutoencoderKL fromBin = AutoencoderKL.load(dir, DType.F32);
        Tensor z = Rng.seeded(3).randn(1, 4, 8, 8);
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            assertThat(Tensors.maxAbsDiff(fromBin.decode(z), vae.decode(z))).isZero();
        }
    }

    /** The mid-block attention through every kernel: full, sliced into 8-row chunks, fused (the default's choice). */
    @Test
    void everyAttentionKernelDecodesAlike() {
        Tensor z = refs.get("vae.decode.input");
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor fused = vae.decode(z);
            for (AttentionKernel k : List.of(AttentionKernel.of(AttentionKernel.Mode.FULL),
                    new AttentionKernel(AttentionKernel.Mode.SLICED, 8L * 2 * Float.BYTES * z.size(2) * z.size(3)))) {
                vae.setAttentionKernel(k);
                Parity.assertRelative(k.mode() + " decode", vae.decode(z), fused, 1e-5);
            }
        } finally {
            vae.setAttentionKernel(AttentionKernel.DEFAULT);
        }
    }

    @Test
    void rejectsInputsOfTheWrongShape() {
        assertThatThrownBy(() -> vae.decode(Rng.seeded(1).randn(1, 3, 8, 8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(batch, 4, height, width)");
        assertThatThrownBy(() -> vae.encode(Rng.seeded(1).randn(3, 64, 64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("image");
    }

    @Test
    void gradientsFlowThroughDecode() {
        AutoencoderKL m = new AutoencoderKL(TINY, DType.F32);
        randomize(m, 9);
        Tensor z = Rng.seeded(4).randn(1, 2, 4, 4).requires_grad_(true);
        m.decode(z).sum().backward();
        assertThat(Tensors.maxAbs(z.grad())).isGreaterThan(0);
    }
}
