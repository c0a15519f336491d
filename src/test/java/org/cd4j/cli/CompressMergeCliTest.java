package org.cd4j.cli;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.concept.delta.LoadedDelta;
import org.cd4j.io.Png;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cd4j compress}, {@code cd4j merge} and {@code cd4j generate --merge} through the real command line. */
class CompressMergeCliTest {
    @TempDir
    Path tmp;

    private final Path sd1 = Fixtures.tinySd1();
    private final Path sd768 = Fixtures.path("tiny-sd1-768");
    private final Path trained = Fixtures.path("custom_diffusion/adobe_compress/delta.bin");
    private final Path pot = Fixtures.path("custom_diffusion/adobe_compose/input_pot/delta.bin");
    private final Path ball = Fixtures.path("custom_diffusion/adobe_compose/input_ball/delta.bin");
    private final Path captions = Fixtures.path("custom_diffusion/data/reg_captions.txt");
    private String out = "", err = "";

    private int run(String... args) {
        CliRun r = CliRun.of(args);
        out = r.out();
        err = r.err();
        return r.code();
    }

    @Test
    void compressPrintsTheTableWritesCd4jAndAdobeAndGenerates() throws Exception {
        Path cd4j = tmp.resolve("c.cd4j.safetensors");
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--output", cd4j.toString())).as(err).isZero();
        assertThat(out).contains("rel.error").contains("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight")
                .contains("total: 12 weight(s)").contains(cd4j.toString());
        assertThat(err).contains("--ratio 0.6");
        ConceptDelta c = DeltaFiles.load(cd4j).delta();
        assertThat(c.storage()).isEqualTo(ConceptDelta.LOW_RANK);
        assertThat(c.info().notes()).contains("cd4j compress --ratio 0.6");

        // The reference's own compressed file, re-made with its fp16 W0, in its format.
        Path adobe = tmp.resolve("compressed_delta.bin");
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--ratio", "0.6", "--fp16-base",
                "--to", "adobe", "--output", adobe.toString())).as(err).isZero();
        LoadedDelta mine = DeltaFiles.load(adobe);
        assertThat(mine.format()).isEqualTo(DeltaFormat.ADOBE);
        ConceptDelta ref = DeltaFiles.load(Fixtures.path("custom_diffusion/adobe_compress/compressed_delta.bin")).delta();
        for (Map.Entry<String, DeltaWeight> e : ref.weights().entrySet()) {
            DeltaWeight m = mine.delta().weights().get(e.getKey());
            assertThat(m.rank()).isEqualTo(e.getValue().rank());
            assertThat(relDiff(m.u().matmul(m.v()), e.getValue().u().matmul(e.getValue().v()))).isLessThan(1e-4);
        }

        Path png = tmp.resolve("img.png");
        assertThat(run("generate", "--model", sd1.toString(), "--prompt", "a photo of <new1> pot", "--seed", "1", "--steps", "2",
                "--height", "64", "--width", "64", "--delta", cd4j.toString(), "--output", png.toString())).as(err).isZero();
        assertThat(png).exists();
    }

    @Test
    void compressRefusesBadRequests() throws Exception {
        Path o = tmp.resolve("c.cd4j.safetensors");
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--rank", "33", "--output", o.toString())).isEqualTo(2);
        assertThat(err).contains("--rank 33 is larger than").contains("(32x32) allows: its rank is at most 32");
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--ratio", "1.5", "--output", o.toString())).isEqualTo(2);
        assertThat(err).contains("--ratio must lie in (0, 1)");
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--ratio", "0.5", "--rank", "2",
                "--output", o.toString())).isEqualTo(2);
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--to", "diffusers", "--output", o.toString())).isEqualTo(2);
        Files.writeString(o, "x");
        assertThat(run("compress", "--model", sd1.toString(), "--delta", trained.toString(), "--output", o.toString())).isEqualTo(2);
        assertThat(err).contains("already exists");
        assertThat(run("compress", "--model", sd768.toString(), "--delta", trained.toString(), "--output", tmp.resolve("x.safetensors").toString()))
                .isEqualTo(1);
        assertThat(err).contains("does not fit the model tiny-sd1-768");
    }

    @Test
    void mergePrintsTheMappingAndWritesADeltaThatGenerates() throws Exception {
        Path merged = tmp.resolve("merged.cd4j.safetensors");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", pot.toString(), "--delta", ball.toString(),
                "--reg-prompts", captions.toString(), "--categories", "wooden pot+ball", "--output", merged.toString())).as(err).isZero();
        assertThat(out).contains("<new1> of " + pot + " -> <new1>").contains("<new1> of " + ball + " -> <new2>")
                .contains("constraint").contains("2 concept(s), 14 target row(s)").contains(merged.toString());
        ConceptDelta d = DeltaFiles.load(merged).delta();
        assertThat(d.modifierTokens()).containsExactly("<new1>", "<new2>");
        assertThat(d.info().notes()).contains("-> <new2>");
        assertThat(d.info().baseModelName()).isEqualTo("tiny-sd1-768");

        Path png = tmp.resolve("both.png");
        assertThat(run("generate", "--model", sd768.toString(), "--prompt", "<new1> wooden pot next to a <new2> ball", "--seed", "3",
                "--steps", "2", "--height", "64", "--width", "64", "--delta", merged.toString(), "--output", png.toString())).as(err).isZero();

        // A merged delta merges again: its two tokens are separate concepts ('|'), and without --reg-prompts
        // the default caption set is used. (Its <new1> row equals pot's: a warning, duplicate targets dropped.)
        Path again = tmp.resolve("again.bin");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", merged.toString(), "--delta", pot.toString(),
                "--categories", "wooden pot|ball+wooden pot", "--to", "adobe", "--output", again.toString())).as(err).isZero();
        assertThat(err).contains("default set of 200").contains("repeat those of '<new1> wooden pot'");
        assertThat(DeltaFiles.load(again).delta().modifierTokens()).containsExactly("<new1>", "<new2>", "<new3>");
    }

    @Test
    void generateMergesOnTheFlyOrPointsToMerge() throws Exception {
        List<String> base = List.of("generate", "--model", sd768.toString(), "--prompt", "<new1> wooden pot and <new2> ball",
                "--seed", "3", "--steps", "2", "--height", "64", "--width", "64", "--delta", pot.toString(), "--delta", ball.toString());
        List<String> plain = new ArrayList<>(base);
        plain.addAll(List.of("--output", tmp.resolve("refused.png").toString()));
        assertThat(run(plain.toArray(new String[0]))).isEqualTo(1);
        assertThat(err).contains("cd4j merge");

        List<String> merging = new ArrayList<>(base);
        merging.addAll(List.of("--merge", "--categories", "wooden pot+ball", "--reg-prompts", captions.toString(),
                "--output", tmp.resolve("merged.png").toString()));
        assertThat(run(merging.toArray(new String[0]))).as(err).isZero();
        assertThat(err).contains("merged 2 deltas").contains("-> <new2>");
        assertThat(Png.readText(tmp.resolve("merged.png")).get("deltas")).endsWith("(merged)");

        List<String> noCategories = new ArrayList<>(base);
        noCategories.addAll(List.of("--merge", "--output", tmp.resolve("x.png").toString()));
        assertThat(run(noCategories.toArray(new String[0]))).isEqualTo(2);
        assertThat(err).contains("pass --categories");
        assertThat(run("generate", "--model", sd768.toString(), "--prompt", "x", "--delta", pot.toString(), "--merge",
                "--output", tmp.resolve("y.png").toString())).isEqualTo(2);
        assertThat(err).contains("--merge needs at least two --delta files");
    }

    @Test
    void mergeRefusesBadRequests() throws Exception {
        Path o = tmp.resolve("m.cd4j.safetensors");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", pot.toString(), "--categories", "pot", "--output", o.toString()))
                .isEqualTo(2);
        assertThat(err).contains("at least two --delta files");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", pot.toString(), "--delta", pot.toString(),
                "--categories", "pot+pot", "--output", o.toString())).isEqualTo(1);
        assertThat(err).contains("is given twice");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", pot.toString(), "--delta", ball.toString(),
                "--categories", "pot", "--output", o.toString())).isEqualTo(2);
        assertThat(err).contains("names 1 category but 2 deltas");
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", pot.toString(), "--delta", ball.toString(),
                "--categories", "pot+ball", "--reg-prompts", empty.toString(), "--output", o.toString())).isEqualTo(1);
        assertThat(err).contains("is empty");
        assertThat(run("merge", "--model", sd768.toString(), "--delta", pot.toString(), "--delta", ball.toString(),
                "--categories", "pot+ball", "--reg-prompts", tmp.resolve("nope.txt").toString(), "--output", o.toString())).isEqualTo(2);
        assertThat(run("merge", "--model", sd1.toString(), "--delta", pot.toString(), "--delta", ball.toString(),
                "--categories", "pot+ball", "--output", o.toString())).isEqualTo(1);
        assertThat(err).contains("does not fit the model tiny-sd1");
        assertThat(o).doesNotExist();
    }

    private static double relDiff(Tensor a, Tensor b) {
        Tensor x = a.to(torch.ScalarType.Double), y = b.to(torch.ScalarType.Double);
        return x.sub(y).norm().item_double() / y.norm().item_double();
    }
}
