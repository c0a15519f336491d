package org.cd4j.concept;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.data.ClassImages;
import org.cd4j.concept.data.Concept;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Training features beyond the single-concept loop, each a short run on tiny-sd1 at 64 px (a few
 * seconds each): joint multi-concept training where every token trains, the generated prior,
 * validation images, bf16 autocast, recovery from a half-written checkpoint, and replaying a run
 * from its config.json.
 */
class TrainerFeaturesTest {
    @TempDir
    Path tmp;

    /** A copy: runs write their latent cache beside the class pictures. */
    Path data(String concept) throws java.io.IOException {
        return Fixtures.copyOf("custom_diffusion/data/" + concept, tmp);
    }

    static TrainConfig cfg(Path out, String instanceDir, String instancePrompt, String classDir, String classPrompt,
                           String conceptsList, String tokens, String inits, boolean prior, boolean realPrior,
                           int numClass, int steps, String validation, String amp) {
        return new TrainConfig(Fixtures.tinySd1().toString(), out.toString(), instanceDir, instancePrompt, classDir, classPrompt,
                conceptsList, tokens, inits, prior, realPrior, 1.0, numClass, 2, 2, 64, 1, 1e-3, false, "constant", 0, steps,
                false, false, false, "crossattn_kv", 3, 0, 0, validation, 2, 1, 1, 1.0, 0.9, 0.999, 1e-2, 1e-8, amp, false, "refuse");
    }

    @Test
    void jointTrainingTrainsEveryModifierToken() throws Exception {
        Path list = tmp.resolve("concepts.json");
        Files.writeString(list, "[{\"instance_prompt\": \"photo of a <new1> wooden pot\", \"class_prompt\": \"wooden pot\","
                + " \"instance_data_dir\": \"" + data("pot").resolve("instance") + "\", \"class_data_dir\": \"" + data("pot").resolve("class") + "\"},"
                + " {\"instance_prompt\": \"photo of a <new2> ball\", \"class_prompt\": \"ball\","
                + " \"instance_data_dir\": \"" + data("ball").resolve("instance") + "\", \"class_data_dir\": \"" + data("ball").resolve("class") + "\"}]");
        Path out = tmp.resolve("joint");
        new Trainer(cfg(out, null, null, null, null, list.toString(), "<new1>+<new2>", "ktn+pll", true, true, 8, 4, null, "no"),
                TrainListener.NONE).run(null);
        ConceptDelta d = Cd4jDeltaFile.read(out.resolve(Trainer.DELTA));
        assertThat(d.modifierTokens()).containsExactly("<new1>", "<new2>");
        StableDiffusion base = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        Tensor ktn = base.textEncoder().tokenEmbedding().select(0, 1313);
        Tensor pll = base.textEncoder().tokenEmbedding().select(0, 1314);
        // the reference's ADOBE trainer never updates <new2> (§0.5); here both move from their initializers
        assertThat(Tensors.maxAbsDiff(d.tokens().get("<new1>"), ktn)).isPositive();
        assertThat(Tensors.maxAbsDiff(d.tokens().get("<new2>"), pll)).isPositive();
    }

    @Test
    void generatesMissingClassImagesOnceAndWritesValidationImages() throws Exception {
        Path classes = tmp.resolve("classes");
        Path out = tmp.resolve("gen");
        TrainConfig c = cfg(out, data("pot").resolve("instance").toString(), "photo of a <new1> pot", classes.toString(), "pot",
                null, "<new1>", "ktn", true, false, 3, 2, "<new1> pot on a table", "no");
        new Trainer(c, TrainListener.NONE).run(null);
        assertThat(ClassImages.countImages(classes)).isEqualTo(3);
        List<Path> made = Files.list(classes).filter(Files::isRegularFile).sorted().toList(); // not the latent cache folder
        assertThat(made.get(0).getFileName().toString()).matches("0-[0-9a-f]{40}\\.jpg");
        assertThat(Files.list(out.resolve("validation")).count()).isEqualTo(1);
        long before = Files.getLastModifiedTime(made.get(0)).toMillis();
        Path out2 = tmp.resolve("gen2");
        new Trainer(cfg(out2, data("pot").resolve("instance").toString(), "photo of a <new1> pot", classes.toString(), "pot",
                null, "<new1>", "ktn", true, false, 3, 1, null, "no"), TrainListener.NONE).run(null);
        assertThat(ClassImages.countImages(classes)).as("the next run reuses them").isEqualTo(3);
        assertThat(Files.getLastModifiedTime(made.get(0)).toMillis()).isEqualTo(before);
    }

    @Test
    void gradientCheckpointingGivesTheSameDelta() throws Exception {
        TrainConfig plain = cfg(tmp.resolve("plain"), data("pot").resolve("instance").toString(), "photo of a <new1> pot",
                data("pot").resolve("class").toString(), null, null, "<new1>", "ktn", true, true, 8, 2, null, "no");
        var node = TrainConfig.json().valueToTree(plain);
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("gradient-checkpointing", true);
        ((com.fasterxml.jackson.databind.node.ObjectNode) node).put("output", tmp.resolve("ckpt").toString());
        TrainConfig ckpt = TrainConfig.json().treeToValue(node, TrainConfig.class);
        assertThat(ckpt.gradientCheckpointing()).isTrue();
        new Trainer(plain, TrainListener.NONE).run(null);
        new Trainer(ckpt, TrainListener.NONE).run(null);
        try (SafetensorsFile a = SafetensorsFile.open(tmp.resolve("plain").resolve(Trainer.DELTA));
             SafetensorsFile b = SafetensorsFile.open(tmp.resolve("ckpt").resolve(Trainer.DELTA))) {
            for (String k : a.keys()) {
                double scale = Tensors.maxAbs(a.tensor(k));
                assertThat(Tensors.maxAbsDiff(a.tensor(k), b.tensor(k)) / scale).as(k).isLessThan(1e-5);
            }
        }
    }

    @Test
    void nonFiniteStepsAreSkippedAndNeverSaved() throws Exception {
        // an absurd learning rate without clipping blows the attention up within a few steps
        TrainConfig c = new TrainConfig(Fixtures.tinySd1().toString(), tmp.resolve("nan").toString(),
                data("pot").resolve("instance").toString(), "photo of a <new1> pot", null, null, null, "<new1>", "ktn",
                false, false, 1.0, 8, 2, 2, 64, 1, 1e30, false, "constant", 0, 4, false, false, false, "crossattn_kv", 3, 0, 0,
                null, 2, 1, 1, 0.0, 0.9, 0.999, 0.0, 1e-8, "no", false, "refuse");
        Trainer.Result r = new Trainer(c, TrainListener.NONE).run(null);
        assertThat(r.skippedSteps()).as("steps with a non-finite loss or gradient").isPositive();
        List<String> metrics = Files.readAllLines(tmp.resolve("nan").resolve("metrics.jsonl"));
        assertThat(metrics).anyMatch(l -> l.contains("\"skipped\":true"));
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("nan").resolve(Trainer.DELTA))) {
            for (String k : f.keys()) {
                Tensor t = f.tensor(k);
                assertThat(t.isfinite().all().item_bool()).as(k + " is finite").isTrue();
            }
        }
    }

    @Test
    void bf16AutocastTrainsWithFiniteLoss() throws Exception {
        Path out = tmp.resolve("bf16");
        Trainer.Result r = new Trainer(cfg(out, data("pot").resolve("instance").toString(), "photo of a <new1> pot",
                data("pot").resolve("class").toString(), null, null, "<new1>", "ktn", true, true, 8, 2, null, "bf16"),
                TrainListener.NONE).run(null);
        assertThat(r.skippedSteps()).isZero();
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve(Trainer.DELTA))) {
            for (String k : f.keys()) assertThat(Tensors.dtype(f.tensor(k))).as(k + " stays float32").isEqualTo(DType.F32);
        }
    }

    @Test
    void aHalfWrittenCheckpointIsIgnoredOnResume() throws Exception {
        Path out = tmp.resolve("killed");
        TrainConfig c = new TrainConfig(Fixtures.tinySd1().toString(), out.toString(), data("pot").resolve("instance").toString(),
                "photo of a <new1> pot", null, null, null, "<new1>", "ktn", false, false, 1.0, 8, 2, 2, 64, 1, 1e-3, false,
                "constant", 0, 2, false, false, false, "crossattn_kv", 3, 1, 0, null, 2, 1, 1, 1.0, 0.9, 0.999, 1e-2, 1e-8,
                "no", false, "refuse");
        new Trainer(c, TrainListener.NONE).run(null);
        // a run killed while writing checkpoint 5 leaves a .partial folder behind
        Path partial = Files.createDirectories(out.resolve("checkpoints/checkpoint-5.partial"));
        Files.write(partial.resolve("state.safetensors"), new byte[]{1, 2, 3});
        assertThat(Checkpoints.latest(out).getFileName().toString()).isEqualTo("checkpoint-1");
        assertThat(Checkpoints.load(Checkpoints.latest(out)).step()).isEqualTo(1);
    }

    @Test
    void configJsonReplaysTheRun() throws Exception {
        Path a = tmp.resolve("a");
        String[] args = {"train", "--model", Fixtures.tinySd1().toString(), "--output", a.toString(),
                "--instance-data-dir", data("pot").resolve("instance").toString(), "--instance-prompt", "photo of a <new1> pot",
                "--modifier-token", "<new1>", "--resolution", "64", "--train-batch-size", "1", "--max-train-steps", "2",
                "--learning-rate", "1e-3", "--checkpointing-steps", "0", "--seed", "11"};
        assertThat(Main.run(args)).isZero();
        Path b = tmp.resolve("b");
        assertThat(Main.run("train", "--config", a.resolve("config.json").toString(), "--output", b.toString())).isZero();
        try (SafetensorsFile x = SafetensorsFile.open(a.resolve(Trainer.DELTA)); SafetensorsFile y = SafetensorsFile.open(b.resolve(Trainer.DELTA))) {
            for (String k : x.keys()) assertThat(Tensors.maxAbsDiff(x.tensor(k), y.tensor(k))).as(k).isZero();
        }
    }
    @Test
    void aRetrievedSetIsUsedAsItIsNotToppedUpWithGeneratedPictures() throws Exception {
        Path set = tmp.resolve("class");
        try (var walk = Files.walk(data("pot").resolve("class"))) {
            for (Path p : walk.toList()) {
                Path q = set.resolve(data("pot").resolve("class").relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        Files.writeString(set.resolve("images.txt"), Files.readString(set.resolve("images.txt")).replace("class/", ""));
        List<String> log = new java.util.ArrayList<>();
        TrainConfig c = cfg(tmp.resolve("out"), data("pot").resolve("instance").toString(), "photo of a <new1> pot", set.toString(),
                "pot", null, "<new1>", "ktn", true, false, 20, 1, null, "no");
        TrainListener l = new TrainListener() {
            @Override
            public void log(String message) {
                log.add(message);
            }
        };
        // 8 listed pictures, 20 wanted: no model is needed because nothing is generated
        assertThat(PriorImages.ensure(null, List.of(new Concept("photo of a <new1> pot", "pot", data("pot").resolve("instance"), set)), c, l)).isZero();
        assertThat(log).singleElement().asString().contains("holds a retrieved set (images.txt); it is used as it is, not topped up");
        try (var s = Files.list(set)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly("caption.txt", "images", "images.txt", "urls.txt");
        }
    }

    @Test
    void realPriorWithoutTheLayoutNamesTheFolderAndTheRetrieveCommand() throws Exception {
        Path pictures = data("pot").resolve("instance");
        TrainConfig c = cfg(tmp.resolve("out"), pictures.toString(), "photo of a <new1> pot", pictures.toString(), "pot", null,
                "<new1>", "ktn", true, true, 2, 1, null, "no");
        assertThatThrownBy(() -> new Trainer(c, TrainListener.NONE).run(null)).isInstanceOf(FormatException.class)
                .hasMessageStartingWith(pictures + ": --real-prior needs the real-prior layout here")
                .hasMessageContaining("cd4j retrieve --class-prompt TEXT --outdir " + pictures);
    }
}
