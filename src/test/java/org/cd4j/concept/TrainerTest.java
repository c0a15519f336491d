package org.cd4j.concept;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Short real training runs on tiny-sd1 (64 px, a few steps; each run takes a few seconds):
 * what is written, that only the allowed weights change, and that a run stopped at a checkpoint
 * and resumed ends with the same delta, bit for bit, as an uninterrupted one.
 */
class TrainerTest {
    @TempDir
    Path tmp;

    /** A copy: runs write their latent cache beside the class pictures. */
    Path pot() throws java.io.IOException {
        return Fixtures.copyOf("custom_diffusion/data/pot", tmp);
    }

    TrainConfig config(Path out, int steps, int checkpointEvery) throws java.io.IOException {
        return config(out, steps, checkpointEvery, "crossattn_kv");
    }

    /** A short run on the pot fixture with real priors, training the weights of {@code freezeModel}. */
    static TrainConfig config(Path out, int steps, int checkpointEvery, String freezeModel) throws java.io.IOException {
        // a copy beside the output: runs write their latent cache beside the class pictures
        Path pot = Fixtures.copyOf("custom_diffusion/data/pot", out.toAbsolutePath().getParent());
        return new TrainConfig(Fixtures.tinySd1().toString(), out.toString(), pot.resolve("instance").toString(),
                "photo of a <new1> wooden pot", pot.resolve("class").toString(), null, null, "<new1>", "ktn",
                true, true, 1.0, 8, 4, 50, 64, 1, 1e-3, false, "constant", 0, steps, true, false, false,
                freezeModel, 7, checkpointEvery, 0, null, 50, 1, 1, 1.0, 0.9, 0.999, 1e-2, 1e-8, "no", false, "refuse");
    }

    @Test
    void trainsOnlyTheCrossAttentionKeyValueWeightsAndTheToken() throws Exception {
        Path out = tmp.resolve("run");
        Trainer.Result r = new Trainer(config(out, 3, 0), TrainListener.NONE).run(null);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(out.resolve(Trainer.DELTA)).exists();
        assertThat(out.resolve("config.json")).exists();
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(3);
        JsonNode last = new ObjectMapper().readTree(lines.get(2));
        assertThat(last.get("step").asInt()).isEqualTo(3);
        assertThat(Double.isFinite(last.get("loss").asDouble())).isTrue();
        // the stages split the whole time so far, and the summary holds the totals
        double split = 0;
        for (StageTimes.Stage st : StageTimes.Stage.values()) split += last.get("stage_seconds").get(st.key).asDouble();
        assertThat(split).isCloseTo(last.get("seconds").asDouble(), org.assertj.core.data.Offset.offset(0.05));
        assertThat(r.times().seconds(StageTimes.Stage.UNET_FORWARD)).isPositive();
        JsonNode summary = new ObjectMapper().readTree(out.resolve(Trainer.SUMMARY).toFile());
        assertThat(summary.get("steps").asInt()).isEqualTo(3);
        assertThat(summary.get("stage_seconds").get("backward").asDouble()).isPositive();

        ConceptDelta d = Cd4jDeltaFile.read(out.resolve(Trainer.DELTA));
        assertThat(d.modifierTokens()).containsExactly("<new1>");
        StableDiffusion base = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        Map<String, Tensor> params = base.unet().namedParameters();
        assertThat(d.weights()).hasSize(12);
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            assertThat(TrainMode.CROSSATTN_KV.trains(e.getKey())).as(e.getKey()).isTrue();
            assertThat(Tensors.maxAbsDiff(e.getValue().full(), params.get(e.getKey()))).as(e.getKey() + " changed").isPositive();
        }
        Tensor ktn = base.textEncoder().tokenEmbedding().select(0, 1313);
        assertThat(Tensors.maxAbsDiff(d.tokens().get("<new1>"), ktn)).as("token row trained").isPositive();
    }

    @Test
    void aResumedRunEndsWithTheSameDeltaBitForBit() throws Exception {
        assertResumedEqualsUninterrupted(tmp, "crossattn_kv");
    }

    /**
     * Trains 4 steps uninterrupted, and 4 steps stopped after step 3 (as Ctrl-C does) and resumed
     * from that checkpoint; both final deltas must hold the same tensors, bit for bit.
     */
    static void assertResumedEqualsUninterrupted(Path tmp, String freezeModel) throws Exception {
        Path full = tmp.resolve("full-" + freezeModel);
        new Trainer(config(full, 4, 2, freezeModel), TrainListener.NONE).run(null);

        Path part = tmp.resolve("part-" + freezeModel);
        AtomicReference<Trainer> self = new AtomicReference<>();
        Trainer interrupted = new Trainer(config(part, 4, 2, freezeModel), new TrainListener() {
            @Override
            public void step(int step, int total, double loss, double lr, double seconds, boolean skipped) {
                if (step == 3) self.get().requestStop(); // as Ctrl-C does
            }
        });
        self.set(interrupted);
        Trainer.Result r = interrupted.run(null);
        assertThat(r.stoppedEarly()).isTrue();
        assertThat(r.steps()).isEqualTo(3);
        Path latest = Checkpoints.latest(part);
        assertThat(latest.getFileName().toString()).isEqualTo("checkpoint-3");
        assertThat(latest.resolve(Trainer.DELTA)).as("every checkpoint holds a usable delta").exists();
        assertThat(Cd4jDeltaFile.read(latest.resolve(Trainer.DELTA)).trainMode().id).isEqualTo(freezeModel);

        Trainer.Result resumed = new Trainer(config(part, 4, 2, freezeModel), TrainListener.NONE).run(latest);
        assertThat(resumed.steps()).isEqualTo(4);
        try (SafetensorsFile a = SafetensorsFile.open(full.resolve(Trainer.DELTA));
             SafetensorsFile b = SafetensorsFile.open(part.resolve(Trainer.DELTA))) {
            assertThat(b.keys()).isEqualTo(a.keys());
            for (String k : a.keys()) assertThat(Tensors.maxAbsDiff(a.tensor(k), b.tensor(k))).as(k).isZero();
        }
        assertThat(Files.readAllLines(part.resolve("metrics.jsonl"))).hasSize(4);
    }

    @Test
    void refusesAPromptWithoutItsModifierToken() throws Exception {
        TrainConfig c = config(tmp.resolve("x"), 1, 0);
        TrainConfig bad = new TrainConfig(c.model(), c.output(), c.instanceDataDir(), "photo of a wooden pot", c.classDataDir(),
                c.classPrompt(), null, c.modifierToken(), c.initializerToken(), c.withPriorPreservation(), c.realPrior(),
                1.0, 8, 4, 50, 64, 1, 1e-3, false, "constant", 0, 1, false, false, false, "crossattn_kv", 7, 0, 0, null,
                50, 1, 1, 1.0, 0.9, 0.999, 1e-2, 1e-8, "no", false, "refuse");
        assertThatThrownBy(() -> new Trainer(bad, TrainListener.NONE).run(null)).hasMessageContaining("<new1>");
    }

    @Test
    void refusesAModifierTokenAlreadyInTheVocabulary() throws Exception {
        TrainConfig c = config(tmp.resolve("y"), 1, 0);
        TrainConfig bad = new TrainConfig(c.model(), c.output(), c.instanceDataDir(), "photo of a cat wooden pot", c.classDataDir(),
                c.classPrompt(), null, "cat", c.initializerToken(), true, true, 1.0, 8, 4, 50, 64, 1, 1e-3, false,
                "constant", 0, 1, false, false, false, "crossattn_kv", 7, 0, 0, null, 50, 1, 1, 1.0, 0.9, 0.999, 1e-2,
                1e-8, "no", false, "refuse");
        assertThatThrownBy(() -> new Trainer(bad, TrainListener.NONE).run(null)).hasMessageContaining("already in the vocabulary");
    }
}
