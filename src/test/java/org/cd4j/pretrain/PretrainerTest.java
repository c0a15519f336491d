package org.cd4j.pretrain;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.sched.SchedulerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A few steps of both pretraining stages on the real mini architecture (a few seconds: the
 * 49408-row CLIP embedding dominates): the output is a loadable model, and a run resumed from a
 * checkpoint ends with exactly the weights of an uninterrupted one.
 */
class PretrainerTest {
    private static PretrainConfig tiny(Path out) {
        return new PretrainConfig(out, 3, 4, 2, 32, 1e-3, 8, 4, 2, 1e-3, 1, 0.25, 0.9, 1.0, 2, 2, 1,
                new FocusConfig(4, 1e-3, 12, 0.9, 0.5, 150, 650), ZeroSnrConfig.none());
    }

    private static PretrainConfig withZeroSnr(Path out) {
        return tiny(out).withZeroSnr(new ZeroSnrConfig(3, 1e-3, 0.25));
    }

    private static PretrainConfig noFocus(Path out) {
        return tiny(out).withFocus(new FocusConfig(0, 1e-3, 12, 0.9, 0.5, 150, 650));
    }

    @Test
    void producesALoadableModelAndResumesExactly(@TempDir Path tmp) throws Exception {
        Path a = new Pretrainer(tiny(tmp.resolve("a")), PretrainListener.SILENT).run();
        StableDiffusion loaded = StableDiffusion.load(a, DType.F32);
        assertThat(loaded.defaultSize()).isEqualTo(64);
        assertThat(loaded.vae().scalingFactor()).isPositive().isNotEqualTo(1.0);

        // an interrupted run: finish it, then take away everything after the step-2 checkpoints
        Path b = tmp.resolve("b");
        new Pretrainer(tiny(b), PretrainListener.SILENT).run();
        Files.delete(b.resolve("model_index.json"));
        Files.delete(b.resolve("unet/diffusion_pytorch_model.safetensors"));
        Files.delete(b.resolve("text_encoder/model.safetensors"));
        Files.delete(b.resolve("pretrain/checkpoints/diffusion-10.safetensors")); // resumes at 8: inside the focus phase
        new Pretrainer(tiny(b), PretrainListener.SILENT).run();

        assertSameWeights(a, b);
        // the steps replayed after the checkpoint are logged once, so the log reads as the uninterrupted run's
        assertThat(Files.readAllLines(b.resolve("pretrain/metrics.jsonl")))
                .isEqualTo(Files.readAllLines(a.resolve("pretrain/metrics.jsonl")));
    }

    @Test
    void aFinishedRunExtendedByRestartCyclesEqualsOneThatAskedForThemFirst(@TempDir Path tmp) throws Exception {
        Path direct = new Pretrainer(noFocus(tmp.resolve("direct")).withRestarts(3), PretrainListener.SILENT).run();
        Path extended = tmp.resolve("extended");
        new Pretrainer(noFocus(extended), PretrainListener.SILENT).run();
        new Pretrainer(noFocus(extended).withRestarts(3), PretrainListener.SILENT).run();
        assertSameWeights(direct, extended);
        assertThat(extended.resolve("pretrain/pretrain.json")).content().contains("\"restarts\" : 3");
        assertThat(extended.resolve("pretrain/checkpoints/diffusion-10.safetensors")).isRegularFile();

        assertThatThrownBy(() -> new Pretrainer(noFocus(extended), PretrainListener.SILENT).run())
                .hasMessageContaining("--restarts 3").hasMessageContaining("not shortened");
    }

    @Test
    void aFinishedRunGivenAFocusPhaseEqualsOneThatAskedForItFirst(@TempDir Path tmp) throws Exception {
        Path direct = new Pretrainer(tiny(tmp.resolve("direct")), PretrainListener.SILENT).run();
        Path extended = tmp.resolve("extended");
        new Pretrainer(noFocus(extended), PretrainListener.SILENT).run();
        new Pretrainer(tiny(extended), PretrainListener.SILENT).run();
        assertSameWeights(direct, extended);
        assertThat(extended.resolve("pretrain/pretrain.json")).content().contains("\"focus_steps\" : 4");
        // the focus phase logs its steps as such, after the cycles' six
        assertThat(Files.readAllLines(extended.resolve("pretrain/metrics.jsonl")))
                .filteredOn(l -> l.contains("\"phase\":\"focus\""))
                .extracting(l -> l.replaceAll(".*\"step\":(\\d+),.*", "$1"))
                .containsExactly("7", "8", "9", "10");

        assertThatThrownBy(() -> new Pretrainer(tiny(extended).withRestarts(2), PretrainListener.SILENT).run())
                .hasMessageContaining("focus phase follows").hasMessageContaining("--restarts 2");
        assertThatThrownBy(() -> new Pretrainer(tiny(extended).withFocus(new FocusConfig(6, 1e-3, 12, 0.9, 0.5, 150, 650)),
                PretrainListener.SILENT).run()).hasMessageContaining("other settings");
    }

    @Test
    void theZeroSnrPhaseMakesAVPredictionModelAndResumesExactly(@TempDir Path tmp) throws Exception {
        Path direct = new Pretrainer(withZeroSnr(tmp.resolve("direct")), PretrainListener.SILENT).run();
        SchedulerConfig sc = SchedulerConfig.load(direct.resolve("scheduler/scheduler_config.json"));
        assertThat(sc.predictionType()).isEqualTo("v_prediction");
        assertThat(sc.rescaleBetasZeroSnr()).isTrue();
        assertThat(sc.timestepSpacing()).isEqualTo("trailing");
        StableDiffusion loaded = StableDiffusion.load(direct, DType.F32);
        assertThat(loaded.sampler(GenerationRequest.of("a cup", 0)).name()).isEqualTo("dpm++2m");
        // PNDM cannot follow the schedule; the error names the file that asks for it
        assertThatThrownBy(() -> loaded.sampler(new GenerationRequest("a cup", null, 0, 10, 5.0, "pndm", 0.0, 0, 0, 1, false, null)))
                .hasMessageContaining(direct.resolve("scheduler/scheduler_config.json").toString())
                .hasMessageContaining("'rescale_betas_zero_snr'");
        assertThat(Files.readAllLines(direct.resolve("pretrain/metrics.jsonl")))
                .filteredOn(l -> l.contains("\"phase\":\"zero_snr\""))
                .extracting(l -> l.replaceAll(".*\"step\":(\\d+),.*", "$1"))
                .containsExactly("11", "12", "13");

        // a finished run without the phase, given it afterwards, and interrupted inside it
        Path extended = tmp.resolve("extended");
        new Pretrainer(tiny(extended), PretrainListener.SILENT).run();
        assertThat(SchedulerConfig.load(extended.resolve("scheduler/scheduler_config.json")).predictionType()).isNull();
        new Pretrainer(withZeroSnr(extended), PretrainListener.SILENT).run();
        Files.delete(extended.resolve("model_index.json"));
        Files.delete(extended.resolve("pretrain/checkpoints/diffusion-13.safetensors")); // resumes at 12
        new Pretrainer(withZeroSnr(extended), PretrainListener.SILENT).run();
        assertSameWeights(direct, extended);
        // the velocity target differs from the noise: the phase changed the weights
        assertThat(Tensors.maxAbsDiff(SafetensorsFile.open(direct.resolve("unet/diffusion_pytorch_model.safetensors"))
                        .tensor("conv_out.bias"),
                SafetensorsFile.open(tmp.resolve("extended/pretrain/checkpoints/diffusion-12.safetensors")).tensor("ema/unet.conv_out.bias")))
                .isPositive();

        assertThatThrownBy(() -> new Pretrainer(withZeroSnr(extended).withZeroSnr(new ZeroSnrConfig(5, 1e-3, 0.25)),
                PretrainListener.SILENT).run()).hasMessageContaining("other settings");
    }

    @Test
    void zeroSnrSettingsAreChecked(@TempDir Path tmp) {
        assertThatThrownBy(() -> new ZeroSnrConfig(-1, 1e-3, 0.25)).hasMessageContaining("--zero-snr-steps");
        assertThatThrownBy(() -> new ZeroSnrConfig(3, 0, 0.25)).hasMessageContaining("--zero-snr-learning-rate");
        assertThatThrownBy(() -> new ZeroSnrConfig(3, 1e-3, 2)).hasMessageContaining("--zero-snr-mid-share");
        assertThatThrownBy(() -> withZeroSnr(tmp).withFocus(new FocusConfig(0, 1e-3, 12, 0.9, 0.5, 150, 650)))
                .hasMessageContaining("--focus-steps");
    }

    @Test
    void focusSettingsAreChecked() {
        assertThatThrownBy(() -> new FocusConfig(-1, 1e-3, 12, 0.9, 0.5, 150, 650)).hasMessageContaining("--focus-steps");
        assertThatThrownBy(() -> new FocusConfig(4, 0, 12, 0.9, 0.5, 150, 650)).hasMessageContaining("--focus-learning-rate");
        assertThatThrownBy(() -> new FocusConfig(4, 1e-3, 0, 0.9, 0.5, 150, 650)).hasMessageContaining("--focus-dataset-size");
        assertThatThrownBy(() -> new FocusConfig(4, 1e-3, 12, 1.5, 0.5, 150, 650)).hasMessageContaining("--focus-pattern-share");
        assertThatThrownBy(() -> new FocusConfig(4, 1e-3, 12, 0.9, -0.1, 150, 650)).hasMessageContaining("--focus-mid-share");
        assertThatThrownBy(() -> new FocusConfig(4, 1e-3, 12, 0.9, 0.5, 650, 150)).hasMessageContaining("--focus-mid-timesteps");
    }

    private static void assertSameWeights(Path a, Path b) throws Exception {
        for (String w : new String[]{"unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                "vae/diffusion_pytorch_model.safetensors"}) {
            try (SafetensorsFile fa = SafetensorsFile.open(a.resolve(w)); SafetensorsFile fb = SafetensorsFile.open(b.resolve(w))) {
                assertThat(fb.keys()).isEqualTo(fa.keys());
                for (String k : fa.keys()) {
                    assertThat(Tensors.maxAbsDiff(fa.tensor(k), fb.tensor(k))).as(w + " " + k).isZero();
                }
            }
        }
    }

    @Test
    void refusesAFolderWithOtherContentOrOtherSettings(@TempDir Path tmp) throws Exception {
        Path other = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(other.resolve("cat.txt"), "mine");
        assertThatThrownBy(() -> new Pretrainer(tiny(other), PretrainListener.SILENT).run())
                .hasMessageContaining("not a cd4j pretraining folder");
        assertThat(other.resolve("cat.txt")).hasContent("mine");

        Path out = tmp.resolve("m");
        Files.createDirectories(out.resolve("pretrain"));
        Files.writeString(out.resolve("pretrain/pretrain.json"), "{\"seed\": 99}");
        assertThatThrownBy(() -> new Pretrainer(tiny(out), PretrainListener.SILENT).run())
                .hasMessageContaining("other settings");
    }

    @Test
    void freshWeightsFollowTorchInitialisation() {
        org.cd4j.vae.AutoencoderKL vae;
        try {
            vae = new org.cd4j.vae.AutoencoderKL(org.cd4j.vae.VaeConfig.load(Path.of(
                    "src/main/resources/org/cd4j/pretrain/mini/vae/config.json")), DType.F32);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        ParamInit.apply(vae, 1);
        Map<String, Tensor> p = vae.namedParameters();
        Tensor convIn = p.get("encoder.conv_in.weight"); // (32, 3, 3, 3): fan_in 27
        assertThat(Tensors.maxAbs(convIn)).isLessThanOrEqualTo(1 / Math.sqrt(27)).isGreaterThan(0.9 / Math.sqrt(27));
        assertThat(Tensors.maxAbs(p.get("encoder.conv_in.bias"))).isZero();
        assertThat(Tensors.toFloats(p.get("encoder.conv_norm_out.weight"))).containsOnly(1f);
        ParamInit.apply(vae, 1);
        assertThat(Tensors.maxAbsDiff(convIn, vae.namedParameters().get("encoder.conv_in.weight"))).isZero();
    }
}
