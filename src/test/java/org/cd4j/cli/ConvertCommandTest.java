package org.cd4j.cli;

import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.delta.LoadedDelta;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cd4j convert} through the real command line. */
class ConvertCommandTest {
    @TempDir
    Path tmp;

    private final Path model = Fixtures.tinySd1();
    private final Path diffusers = Fixtures.path("custom_diffusion/diffusers_train");
    private String out = "", err = "";

    private int run(String... args) {
        CliRun r = CliRun.of(args);
        out = r.out();
        err = r.err();
        return r.code();
    }

    @Test
    void diffusersToCd4jToAdobeToDiffusers() throws Exception {
        Path cd4j = tmp.resolve("concept.cd4j.safetensors");
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.toString(), "--to", "cd4j",
                "--output", cd4j.toString())).as(err).isZero();
        assertThat(out.strip()).isEqualTo(cd4j.toString());
        assertThat(err).contains("recording base model tiny-sd1");
        try (SafetensorsFile f = SafetensorsFile.open(cd4j)) {
            assertThat(f.metadata().get("base_model_sha256")).hasSize(64);
            assertThat(f.metadata()).containsEntry("base_model_name", "tiny-sd1").containsEntry("train_mode", "crossattn_kv");
        }
        ConceptDelta original = DeltaFiles.load(diffusers).delta();

        Path adobe = tmp.resolve("delta.bin");
        assertThat(run("convert", "--model", model.toString(), "--input", cd4j.toString(), "--to", "adobe",
                "--output", adobe.toString())).as(err).isZero();
        LoadedDelta a = DeltaFiles.load(adobe);
        assertThat(a.format()).isEqualTo(DeltaFormat.ADOBE);
        assertThat(a.delta().sameTensors(original)).isTrue();

        Path folder = tmp.resolve("diffusers-out");
        assertThat(run("convert", "--model", model.toString(), "--input", adobe.toString(), "--to", "diffusers",
                "--output", folder.toString())).as(err).isZero();
        assertThat(out.lines()).hasSize(4);
        assertThat(folder.resolve("pytorch_custom_diffusion_weights.bin")).exists();
        assertThat(folder.resolve("<new1>.safetensors")).exists();
        assertThat(DeltaFiles.load(folder).delta().sameTensors(original)).isTrue();
    }

    @Test
    void compressedToDiffusersExpandsWithTheModel() throws Exception {
        Path folder = tmp.resolve("expanded");
        assertThat(run("convert", "--model", model.toString(), "--input",
                Fixtures.path("custom_diffusion/adobe_compress/compressed_delta.bin").toString(), "--to", "diffusers",
                "--output", folder.toString())).as(err).isZero();
        assertThat(DeltaFiles.load(folder).delta().storage()).isEqualTo(ConceptDelta.FULL);
    }

    @Test
    void neverOverwritesWithoutFlag() throws Exception {
        Path cd4j = Files.writeString(tmp.resolve("x.cd4j.safetensors"), "precious");
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.toString(), "--to", "cd4j",
                "--output", cd4j.toString())).isEqualTo(2);
        assertThat(err).contains("already exists").contains("--overwrite");
        assertThat(Files.readString(cd4j)).isEqualTo("precious");
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.toString(), "--to", "cd4j",
                "--output", cd4j.toString(), "--overwrite")).as(err).isZero();
        assertThat(DeltaFiles.load(cd4j).format()).isEqualTo(DeltaFormat.CD4J);

        Path folder = tmp.resolve("d");
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.toString(), "--to", "diffusers",
                "--output", folder.toString())).isZero();
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.toString(), "--to", "diffusers",
                "--output", folder.toString())).isEqualTo(1);
        assertThat(err).contains("already exists");
    }

    @Test
    void badInput() throws Exception {
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.toString(), "--to", "onnx",
                "--output", tmp.resolve("o").toString())).isEqualTo(2);
        assertThat(err).contains("--to unknown delta format 'onnx'");
        assertThat(run("convert", "--model", model.toString(), "--input", diffusers.resolve("<new1>.bin").toString(),
                "--to", "cd4j", "--output", tmp.resolve("o.cd4j.safetensors").toString())).isEqualTo(1);
        assertThat(err).contains("is a token-embedding file, not a delta").doesNotContain("at org.cd4j");
        assertThat(run("convert", "--model", model.toString(), "--input",
                Fixtures.path("custom_diffusion/adobe_compose/input_pot/delta.bin").toString(), "--to", "cd4j",
                "--output", tmp.resolve("p.cd4j.safetensors").toString())).isEqualTo(1);
        assertThat(err).contains("[32, 768] in the delta but [32, 32] in the model");
        assertThat(tmp.resolve("p.cd4j.safetensors")).doesNotExist();
    }
}
