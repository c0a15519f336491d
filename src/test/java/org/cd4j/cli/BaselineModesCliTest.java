package org.cd4j.cli;

import org.cd4j.concept.TrainMode;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paper's baselines through the real command line: {@code cd4j train --freeze-model none|all}
 * (two steps each, once for the class), generating with their deltas, and what convert, merge and
 * compress do with them.
 */
class BaselineModesCliTest {
    @TempDir
    static Path runs;
    @TempDir
    Path tmp;

    private static final Path SD1 = Fixtures.tinySd1();
    private static final Path POT = Fixtures.path("custom_diffusion/data/pot/instance");
    private static Path none, all;

    @BeforeAll
    static void train() {
        none = trained("none");
        all = trained("all");
    }

    private static Path trained(String mode) {
        Path dir = runs.resolve(mode);
        CliRun r = CliRun.of("train", "--model", SD1.toString(), "--output", dir.toString(), "--instance-data-dir", POT.toString(),
                "--instance-prompt", "photo of a <new1> wooden pot", "--modifier-token", "<new1>", "--initializer-token", "ktn",
                "--resolution", "64", "--train-batch-size", "1", "--learning-rate", "1e-3", "--max-train-steps", "2",
                "--checkpointing-steps", "0", "--freeze-model", mode);
        assertThat(r.code()).as(r.err()).isZero();
        return dir.resolve("delta.cd4j.safetensors");
    }

    @Test
    void trainRecordsTheModeAndItsHelpNamesTheBaselines() throws Exception {
        assertThat(DeltaFiles.load(none).delta().trainMode()).isEqualTo(TrainMode.NONE);
        assertThat(DeltaFiles.load(all).delta().trainMode()).isEqualTo(TrainMode.ALL);
        CliRun help = CliRun.of("train", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out().replaceAll("\\s+", " ")).contains("none (nothing frozen: every UNet weight trains, DreamBooth-like;")
                .contains("all (the whole UNet frozen: only the token embeddings train, textual-inversion-like)");
    }

    @Test
    void bothBaselineDeltasGenerate() throws Exception {
        generate("base");
        for (Path delta : new Path[]{none, all}) {
            String name = delta.getParent().getFileName().toString();
            generate(name, "--delta", delta.toString());
            try (SafetensorsFile a = SafetensorsFile.open(tmp.resolve("base.safetensors"));
                 SafetensorsFile b = SafetensorsFile.open(tmp.resolve(name + ".safetensors"))) {
                assertThat(Tensors.maxAbsDiff(a.tensor("images"), b.tensor("images"))).as(name).isGreaterThan(1e-6);
            }
        }
    }

    private void generate(String name, String... extra) {
        String[] base = {"generate", "--model", SD1.toString(), "--prompt", "a photo of <new1> wooden pot", "--seed", "7",
                "--steps", "2", "--height", "64", "--width", "64", "--output", tmp.resolve(name + ".png").toString(),
                "--save-tensor", tmp.resolve(name + ".safetensors").toString()};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliRun r = CliRun.of(args);
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void aFullUNetDeltaConvertsToCd4jAndWebuiOnly() throws Exception {
        for (String to : new String[]{"adobe", "diffusers"}) {
            Path o = tmp.resolve(to.equals("adobe") ? "delta.bin" : "folder");
            CliRun r = CliRun.of("convert", "--model", SD1.toString(), "--input", none.toString(), "--to", to, "--output", o.toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("--to " + to + ": the ").contains("holds only cross-attention weights")
                    .contains("--freeze-model none").contains("keep it as a cd4j delta");
            assertThat(o).doesNotExist();
        }
        Path copy = tmp.resolve("copy.cd4j.safetensors");
        CliRun r = CliRun.of("convert", "--model", SD1.toString(), "--input", none.toString(), "--to", "cd4j", "--output", copy.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains(", none, tokens [<new1>]");
        ConceptDelta d = DeltaFiles.load(none).delta();
        assertThat(DeltaFiles.load(copy).delta().sameTensors(d)).isTrue();

        // a full checkpoint with every UNet weight of the delta merged in, for AUTOMATIC1111
        Path webui = tmp.resolve("a1111/concept.safetensors");
        r = CliRun.of("convert", "--model", SD1.toString(), "--input", none.toString(), "--to", "webui", "--output", webui.toString());
        assertThat(r.code()).as(r.err()).isZero();
        try (SafetensorsFile f = SafetensorsFile.open(webui)) {
            assertThat(Tensors.maxAbsDiff(f.tensor("model.diffusion_model.input_blocks.0.0.weight"),
                    d.weights().get("conv_in.weight").full())).isZero();
        }
        assertThat(webui.resolveSibling("embeddings/<new1>.safetensors")).exists();
    }

    @Test
    void aTokenOnlyDeltaConvertsToTokenFilesAndToAdobe() throws Exception {
        ConceptDelta original = DeltaFiles.load(all).delta();
        Path folder = tmp.resolve("ti");
        CliRun r = CliRun.of("convert", "--model", SD1.toString(), "--input", all.toString(), "--to", "diffusers", "--output",
                folder.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines()).containsExactly(folder.resolve("<new1>.bin").toString(), folder.resolve("<new1>.safetensors").toString());
        assertThat(DeltaFiles.load(folder).delta().sameTensors(original)).isTrue();
        Path bin = tmp.resolve("delta.bin");
        r = CliRun.of("convert", "--model", SD1.toString(), "--input", folder.toString(), "--to", "adobe", "--output", bin.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(DeltaFiles.load(bin).delta().sameTensors(original)).isTrue();
    }

    @Test
    void mergeAndCompressRefuseTheBaselinesTheyCannotHandle() throws Exception {
        Path kv = Fixtures.path("custom_diffusion/adobe_compress/delta.bin");
        Path o = tmp.resolve("o.cd4j.safetensors");
        CliRun merge = CliRun.of("merge", "--model", SD1.toString(), "--delta", none.toString(), "--delta", kv.toString(),
                "--categories", "wooden pot+pot", "--reg-prompts", Fixtures.path("custom_diffusion/data/reg_captions.txt").toString(),
                "--output", o.toString());
        assertThat(merge.code()).isEqualTo(1);
        assertThat(merge.err()).contains("delta " + none + " was trained with --freeze-model none")
                .contains("the closed-form merge (paper Eq. 4) is defined for the cross-attention key/value weights only");
        CliRun full = CliRun.of("compress", "--model", SD1.toString(), "--delta", none.toString(), "--output", o.toString());
        assertThat(full.code()).isEqualTo(1);
        assertThat(full.err()).contains("--freeze-model none").contains("would hardly shrink");
        CliRun token = CliRun.of("compress", "--model", SD1.toString(), "--delta", all.toString(), "--output", o.toString());
        assertThat(token.code()).isEqualTo(1);
        assertThat(token.err()).contains("holds only token embeddings (--freeze-model all); there is no UNet weight to compress");
        assertThat(o).doesNotExist();
    }
}
