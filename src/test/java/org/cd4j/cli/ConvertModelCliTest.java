package org.cd4j.cli;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.TokenFiles;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.ldm.TinyModels;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.ProgressListener;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cd4j convert} for models: single file ⇄ folder, and a concept for AUTOMATIC1111. */
class ConvertModelCliTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static Path base;
    private final Path delta = Fixtures.path("custom_diffusion/diffusers_train");
    /** The last run. */
    private CliRun last;

    @BeforeAll
    static void tinyModel() throws Exception {
        base = TinyModels.sd1(shared.resolve("tiny-sd1"));
    }

    private int run(String... args) {
        last = CliRun.of(args);
        return last.code();
    }

    @Test
    void aSingleFileIsAModelEverywhereAFolderIs() throws Exception {
        Path file = tmp.resolve("tiny.safetensors");
        assertThat(run("convert", "--to", "single-file", "--input", base.toString(), "--output", file.toString())).isZero();
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        String[] common = {"--prompt", "a photo of a cat", "--seed", "1", "--steps", "2", "--height", "32", "--width", "32"};
        assertThat(run(concat(new String[]{"generate", "--model", base.toString(), "--save-tensor", a.toString(),
                "--output", tmp.resolve("a.png").toString()}, common))).isZero();
        assertThat(run(concat(new String[]{"generate", "--model", file.toString(), "--save-tensor", b.toString(),
                "--output", tmp.resolve("b.png").toString()}, common))).as(last.err()).isZero();
        try (var fa = org.cd4j.io.SafetensorsFile.open(a); var fb = org.cd4j.io.SafetensorsFile.open(b)) {
            assertThat(org.cd4j.nn.Tensors.maxAbsDiff(fa.tensor("images"), fb.tensor("images"))).isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void modelConfigGoesWithASingleFileModelIntoItsCachedFolder() throws Exception {
        Path file = tmp.resolve("tiny-v.safetensors");
        assertThat(run("convert", "--to", "single-file", "--input", base.toString(), "--output", file.toString())).isZero();
        Path cfg = Files.writeString(tmp.resolve("v.json"), "{\"prediction_type\": \"v_prediction\"}");
        Map<String, String> env = Map.of("HOME", tmp.toString(), "CD4J_HOME", tmp.resolve("home").toString());

        CliRun r = CliRun.with(env, "tokenize", "--model", file.toString(), "--model-config", cfg.toString(), "--prompt", "a cat");

        assertThat(r.code()).as(r.err()).isZero();
        try (var dirs = Files.list(tmp.resolve("home/cache/single-file"))) {
            Path folder = dirs.filter(d -> Files.isDirectory(d) && d.getFileName().toString().startsWith("tiny-v")).findFirst().orElseThrow();
            assertThat(folder.resolve("scheduler/scheduler_config.json")).content().contains("v_prediction");
        }
        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"prediction_type\": \"x\"}");
        CliRun b = CliRun.with(env, "tokenize", "--model", file.toString(), "--model-config", bad.toString(), "--prompt", "a cat");
        assertThat(b.code()).isEqualTo(1);
        assertThat(b.err()).contains(bad + ": prediction_type must be one of");
    }

    private static String[] concat(String[] x, String[] y) {
        String[] out = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    @Test
    void folderToSingleFileAndBack() throws Exception {
        Path file = tmp.resolve("tiny.safetensors");
        assertThat(run("convert", "--to", "single-file", "--input", base.toString(), "--output", file.toString())).isZero();
        assertThat(last.out().trim()).isEqualTo(file.toString());
        Path back = tmp.resolve("back");
        assertThat(run("convert", "--to", "diffusers", "--input", file.toString(), "--output", back.toString())).isZero();
        assertThat(TinyModels.load(back.resolve("unet/diffusion_pytorch_model.safetensors")).keySet())
                .containsExactlyInAnyOrderElementsOf(TinyModels.load(base.resolve("unet/diffusion_pytorch_model.safetensors")).keySet());
        assertThat(run("convert", "--to", "diffusers", "--input", file.toString(), "--output", back.toString())).isEqualTo(2);
        assertThat(last.err()).contains("--output " + back + " already exists (use --overwrite to replace it)");
        assertThat(run("convert", "--to", "diffusers", "--input", file.toString(), "--output", back.toString(), "--overwrite")).isZero();
    }

    @Test
    void webuiCheckpointWithItsEmbeddingGeneratesWhatTheDeltaDoes() throws Exception {
        Path ckpt = tmp.resolve("webui/concept.safetensors");
        assertThat(run("convert", "--model", base.toString(), "--input", delta.toString(), "--to", "webui",
                "--output", ckpt.toString())).isZero();
        Path embedding = tmp.resolve("webui/embeddings/<new1>.safetensors");
        assertThat(last.out().lines()).containsExactly(ckpt.toString(), embedding.toString());
        assertThat(last.err()).contains("models/Stable-diffusion/", "embeddings/", "<new1>");
        try (SafetensorsFile f = SafetensorsFile.open(ckpt)) {
            assertThat(f.keys()).contains("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight");
        }

        // cd4j with the delta on the base model ...
        GenerationRequest r = new GenerationRequest("a photo of a <new1> cat", null, 3, 2, 7.5, null, 0, 32, 32, 1, false, null);
        StableDiffusion withDelta = StableDiffusion.load(base, DType.F32);
        DeltaApplier.applyFiles(withDelta, List.of(delta), false, w -> { });
        Tensor expected = withDelta.generate(r, ProgressListener.NONE);
        // ... equals the merged checkpoint with the token added from its embedding file, as A1111 does
        Path folder = tmp.resolve("webui-folder");
        assertThat(run("convert", "--to", "diffusers", "--input", ckpt.toString(), "--output", folder.toString())).isZero();
        StableDiffusion merged = StableDiffusion.load(folder, DType.F32);
        Map<String, Tensor> token = TokenFiles.read(embedding);
        DeltaApplier.apply(merged, List.of(new DeltaApplier.Entry(new ConceptDelta(Map.of(), token, DeltaInfo.empty()), 1, "emb")), false);
        assertThat(Tensors.maxAbsDiff(merged.generate(r, ProgressListener.NONE), expected)).isZero();
    }

    @Test
    void badInputIsAUsageErrorNamingTheFlag() throws Exception {
        Path file = tmp.resolve("m.safetensors");
        assertThat(run("convert", "--to", "single-file", "--input", file.toString(), "--output", tmp.resolve("o.safetensors").toString()))
                .isEqualTo(2);
        assertThat(last.err()).contains("--input " + file + " is not a folder");
        assertThat(run("convert", "--to", "single-file", "--input", base.toString(), "--output", tmp.resolve("o.ckpt").toString()))
                .isEqualTo(2);
        assertThat(last.err()).contains("is written as .safetensors");
        assertThat(run("convert", "--to", "single-file", "--model", base.toString(), "--input", base.toString(),
                "--output", tmp.resolve("p.safetensors").toString())).isEqualTo(2);
        assertThat(last.err()).contains("--model does not apply to --to single-file");
        assertThat(run("convert", "--to", "diffusers", "--variant", "fp16", "--input", file.toString(),
                "--output", tmp.resolve("q").toString())).isEqualTo(2);
        assertThat(last.err()).contains("--revision and --variant apply to a hub id");
        assertThat(run("convert", "--to", "webui", "--input", delta.toString(), "--output", tmp.resolve("w.safetensors").toString()))
                .isEqualTo(2);
        assertThat(last.err()).contains("--model DIR is required");
        assertThat(run("convert", "--to", "diffusers", "--input", base.toString(), "--output", tmp.resolve("f").toString())).isEqualTo(2);
        assertThat(last.err()).contains("is not a file (expected a .ckpt or .safetensors checkpoint)");
        assertThat(run("convert", "--model", base.toString(), "--to", "cd4j", "--input", delta.toString(), "--model-config", "x.json",
                "--output", tmp.resolve("d.cd4j.safetensors").toString())).isEqualTo(2);
        assertThat(last.err()).contains("--model-config does not apply: --model " + base + " is a folder");
        Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(tmp.resolve("notes/mine.txt"), "keep");
        Path single = tmp.resolve("s.safetensors");
        assertThat(run("convert", "--to", "single-file", "--input", base.toString(), "--output", single.toString())).isZero();
        assertThat(run("convert", "--to", "diffusers", "--input", single.toString(), "--output", tmp.resolve("notes").toString(),
                "--overwrite")).isEqualTo(2);
        assertThat(last.err()).contains("exists and is not a model folder");
        assertThat(tmp.resolve("notes/mine.txt")).hasContent("keep");
    }

    @Test
    void anotherArchitectureFailsWithOneLine() throws Exception {
        Path lora = tmp.resolve("lora.safetensors");
        org.cd4j.io.SafetensorsWriter.write(lora, Map.of("lora_unet_x.lora_down.weight", Tensors.fromFloats(new float[4], 4)), Map.of());
        assertThat(run("convert", "--to", "diffusers", "--input", lora.toString(), "--output", tmp.resolve("o").toString())).isEqualTo(1);
        assertThat(last.err()).contains(lora + ": is not a Stable Diffusion 1.x/2.x checkpoint: it holds a LoRA adapter")
                .doesNotContain("at org.cd4j");
        assertThat(tmp.resolve("o")).doesNotExist();
    }
}
