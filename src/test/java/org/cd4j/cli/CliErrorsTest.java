package org.cd4j.cli;

import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input on the command line: one clear message naming the flag or file, exit code 2 for
 * usage errors and 1 for failures, no stack trace without --verbose, nothing half-written left.
 */
class CliErrorsTest {
    @TempDir
    Path tmp;

    record Run(int code, String err) {}

    static Run run(String... args) {
        StringWriter sw = new StringWriter();
        int code = Main.run(new PrintWriter(sw, true), args);
        return new Run(code, sw.toString());
    }

    static String tiny() {
        return Fixtures.tinySd1().toString();
    }

    /** A copy of tiny-sd1 that a test may break. */
    Path copyOfTiny() throws IOException {
        return Fixtures.copyOf("tiny-sd1", tmp);
    }

    @Test
    void missingModelFolderIsAUsageError() {
        Run r = run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--model").contains("nope").doesNotContain("at org.cd4j");
    }

    @Test
    void incompleteModelFolderNamesWhatIsMissing() throws IOException {
        Path m = copyOfTiny();
        try (Stream<Path> s = Files.walk(m.resolve("vae"))) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        Run r = run("generate", "--model", m.toString(), "--prompt", "x", "--output", tmp.resolve("o.png").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("vae/").doesNotContain("at org.cd4j");
        assertThat(tmp.resolve("o.png")).doesNotExist();
    }

    @Test
    void unsupportedConfigFieldNamesTheFileAndField() throws IOException {
        Path m = copyOfTiny();
        Path cfg = m.resolve("unet/config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"addition_embed_type\": null", "\"addition_embed_type\": \"text_time\""));
        Run r = run("generate", "--model", m.toString(), "--prompt", "x", "--output", tmp.resolve("o.png").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("config.json").contains("addition_embed_type");
    }

    @Test
    void wrongShapedWeightNamesTheKey() throws IOException {
        Path m = copyOfTiny();
        // swap the VAE weights for the UNet's: every key is unexpected or missing
        Files.copy(m.resolve("unet/diffusion_pytorch_model.safetensors"), m.resolve("vae/diffusion_pytorch_model.safetensors"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Run r = run("generate", "--model", m.toString(), "--prompt", "x", "--output", tmp.resolve("o.png").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("vae").contains("diffusion_pytorch_model.safetensors").contains("missing");
    }

    @Test
    void sizesMustBeMultiplesOfEight() {
        Run r = run("generate", "--model", tiny(), "--prompt", "x", "--height", "100");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--height").contains("multiple of 8");
    }

    @Test
    void pretrainFocusFlagsAreCheckedBeforeAnythingRuns() {
        Path out = tmp.resolve("mini");
        Run r = run("pretrain", "--output", out.toString(), "--focus-mid-timesteps", "150-650");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--focus-mid-timesteps").contains("FROM:TO").contains("150-650");
        r = run("pretrain", "--output", out.toString(), "--focus-mid-share", "2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--focus-mid-share").contains("[0, 1]");
        assertThat(out).doesNotExist();
    }

    @Test
    void unknownSamplerListsTheKnownOnes() {
        Run r = run("generate", "--model", tiny(), "--prompt", "x", "--scheduler", "lms");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--scheduler").contains("lms").contains("euler-a").contains("dpm++2m");
    }

    @Test
    void verboseShowsTheStackTrace() {
        Run r = run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x", "--verbose");
        assertThat(r.err()).contains("at org.cd4j");
    }

    @Test
    void existingOutputIsNotOverwritten() throws IOException {
        Path out = tmp.resolve("keep.png");
        Files.writeString(out, "mine");
        Run r = run("generate", "--model", tiny(), "--prompt", "x", "--steps", "1", "--output", out.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("already exists").contains("--overwrite");
        assertThat(Files.readString(out)).isEqualTo("mine");
    }

    @Test
    void hostileSafetensorsHeaderIsRefusedWithTheFileName() throws IOException {
        Path m = copyOfTiny();
        Path w = m.resolve("text_encoder/model.safetensors");
        byte[] bytes = Files.readAllBytes(w);
        bytes[0] = (byte) 0xff; // header length far beyond the file
        bytes[1] = (byte) 0xff;
        bytes[5] = (byte) 0x7f;
        Files.write(w, bytes);
        Run r = run("generate", "--model", m.toString(), "--prompt", "x", "--output", tmp.resolve("o.png").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("model.safetensors").doesNotContain("at org.cd4j");
    }

    @Test
    void trainRefusesAnOutputFolderWithAnEarlierRun() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(out.resolve("config.json"), "{}");
        Run r = run("train", "--model", tiny(), "--output", out.toString(),
                "--instance-data-dir", Fixtures.path("custom_diffusion/data/pot/instance").toString(),
                "--instance-prompt", "photo of a <new1> pot", "--modifier-token", "<new1>");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("earlier run").contains("--resume").contains("--overwrite");
        assertThat(Files.readString(out.resolve("config.json"))).isEqualTo("{}");
    }

    @Test
    void trainRefusesAConceptsListThatIsNotTheReferenceJson() throws IOException {
        Path list = tmp.resolve("concepts.json");
        Files.writeString(list, "{\"instance_prompt\": \"x\"}");
        Run r = run("train", "--model", tiny(), "--output", tmp.resolve("r").toString(), "--concepts-list", list.toString(),
                "--modifier-token", "<new1>");
        assertThat(r.code()).isIn(1, 2);
        assertThat(r.err()).contains("concepts.json").doesNotContain("at org.cd4j");
    }

    @Test
    void trainRefusesAnEmptyInstanceFolder() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Run r = run("train", "--model", tiny(), "--output", tmp.resolve("r").toString(), "--instance-data-dir", empty.toString(),
                "--instance-prompt", "photo of a <new1> pot", "--modifier-token", "<new1>", "--resolution", "64");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(empty.toString()).doesNotContain("at org.cd4j");
    }
}
