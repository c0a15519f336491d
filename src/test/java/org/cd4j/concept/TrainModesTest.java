package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paper's naive baselines as training modes on tiny-sd1: {@code --freeze-model none} trains
 * every UNet weight, {@code all} only the token rows. What each mode freezes stays bit-identical,
 * what it trains changes; their deltas round-trip, apply, and resume bit for bit.
 */
class TrainModesTest {
    @TempDir
    Path tmp;

    /** The text-encoder row of "ktn", which {@code <new1>} starts from. */
    private static final int KTN = 1313;

    @ParameterizedTest
    @EnumSource(TrainMode.class)
    void eachModeChangesExactlyItsWeightsAndTheTokenRow(TrainMode mode) throws Exception {
        StableDiffusion sd = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        ModifierTokens tokens = ModifierTokens.add(sd.tokenizer(), sd.textEncoder(), List.of("<new1>"), List.of("ktn"));
        Map<String, Tensor> unetBefore = snapshot(sd.unet().namedParameters());
        Map<String, Tensor> textBefore = snapshot(sd.textEncoder().namedParameters());
        Tensor tableBefore = sd.textEncoder().tokenEmbedding().clone();
        TrainableModel tm = TrainableModel.prepare(sd, tokens, mode);
        List<String> trained = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : sd.unet().namedParameters().entrySet()) {
            assertThat(e.getValue().requires_grad()).as(e.getKey()).isEqualTo(mode.trains(e.getKey()));
            if (mode.trains(e.getKey())) trained.add(e.getKey());
        }
        assertThat(tm.unetParameters().keySet()).containsExactlyElementsOf(trained);
        if (mode == TrainMode.NONE) assertThat(trained).hasSameSizeAs(unetBefore.keySet());
        if (mode == TrainMode.ALL) assertThat(trained).isEmpty();

        AdamW opt = AdamW.withDefaults(tm.parameters());
        Rng rng = Rng.seeded(5);
        Tensor latents = rng.randn(2, 4, 8, 8);
        Tensor noise = rng.randn(2, 4, 8, 8);
        Tensor t = Tensors.fromLongs(new long[]{20, 700}, 2);
        Tensor ids = ids(sd, "photo of a <new1> wooden pot");
        for (int step = 0; step < 2; step++) {
            Tensor ehs = sd.textEncoder().forward(ids).lastHiddenState();
            Tensor diff = sd.unet().forward(latents, t, ehs).sub(noise);
            diff.mul(diff).mean().backward();
            opt.step(1e-3);
            opt.zeroGrad();
        }
        tm.finish();

        for (Map.Entry<String, Tensor> e : sd.unet().namedParameters().entrySet()) {
            double change = Tensors.maxAbsDiff(e.getValue(), unetBefore.get(e.getKey()));
            if (mode.trains(e.getKey())) assertThat(change).as(e.getKey() + " trained").isPositive();
            else assertThat(change).as(e.getKey() + " frozen").isZero();
        }
        Tensor table = sd.textEncoder().tokenEmbedding();
        int id = tokens.firstId(); // the last row: <new1> is the only added token
        assertThat(Tensors.maxAbsDiff(table.select(0, id), tableBefore.select(0, id))).as("the <new1> row trained").isPositive();
        assertThat(Tensors.maxAbsDiff(table.narrow(0, 0, id), tableBefore.narrow(0, 0, id))).as("every other row frozen").isZero();
        for (Map.Entry<String, Tensor> e : sd.textEncoder().namedParameters().entrySet()) {
            if (e.getKey().equals("text_model.embeddings.token_embedding.weight")) continue; // the table, checked above
            assertThat(Tensors.maxAbsDiff(e.getValue(), textBefore.get(e.getKey()))).as(e.getKey() + " frozen").isZero();
        }
    }

    @Test
    void noneTrainsEveryUNetWeightIntoAFullUNetDelta() throws Exception {
        Path file = train("none");
        ConceptDelta d = Cd4jDeltaFile.read(file);
        assertThat(d.trainMode()).isEqualTo(TrainMode.NONE);
        StableDiffusion base = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        Map<String, Tensor> params = base.unet().namedParameters();
        assertThat(d.weights().keySet()).containsExactlyElementsOf(params.keySet());
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            Tensor w0 = params.get(e.getKey());
            assertThat(e.getValue().shape()).as(e.getKey()).isEqualTo(Tensors.shape(w0));
            assertThat(Tensors.maxAbsDiff(e.getValue().full(), w0)).as(e.getKey() + " changed").isPositive();
        }
        assertThat(d.info().baseModelSha256()).isEqualTo(BaseModel.of(base).identity(params.keySet()));
        assertRoundTripAndApply(d, file);
    }

    @Test
    void allTrainsOnlyTheTokenIntoAWeightlessDelta() throws Exception {
        Path file = train("all");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.keys()).containsExactly("token_embedding.<new1>");
        }
        ConceptDelta d = Cd4jDeltaFile.read(file);
        assertThat(d.trainMode()).isEqualTo(TrainMode.ALL);
        assertThat(d.weights()).isEmpty();
        StableDiffusion base = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        assertThat(Tensors.maxAbsDiff(d.tokens().get("<new1>"), base.textEncoder().tokenEmbedding().select(0, KTN)))
                .as("token row trained").isPositive();
        // tied to its base model through the key/value weights its token is read through
        List<String> kv = base.unet().namedParameters().keySet().stream().filter(TrainMode.CROSSATTN_KV::trains).toList();
        assertThat(d.info().baseModelSha256()).isEqualTo(BaseModel.of(base).identity(kv));
        assertRoundTripAndApply(d, file);
    }

    @Test
    void aResumedNoneRunEqualsAnUninterruptedOne() throws Exception {
        TrainerTest.assertResumedEqualsUninterrupted(tmp, "none");
    }

    @Test
    void aResumedAllRunEqualsAnUninterruptedOne() throws Exception {
        TrainerTest.assertResumedEqualsUninterrupted(tmp, "all");
    }

    /** Trains two steps with {@code --freeze-model mode}; returns the delta, which records the mode. */
    private Path train(String mode) throws Exception {
        Path out = tmp.resolve(mode);
        new Trainer(TrainerTest.config(out, 2, 0, mode), TrainListener.NONE).run(null);
        Path file = out.resolve(Trainer.DELTA);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.metadata()).containsEntry("train_mode", mode).containsEntry("weights", "full");
        }
        return file;
    }

    /** Write-read is exact; applied to a fresh model, the UNet holds the delta's weights and the token its row. */
    private void assertRoundTripAndApply(ConceptDelta d, Path file) throws Exception {
        Path copy = tmp.resolve("copy.cd4j.safetensors");
        Cd4jDeltaFile.write(copy, d, false);
        assertThat(Cd4jDeltaFile.read(copy).contentEquals(d)).isTrue();

        StableDiffusion sd = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        Map<String, Tensor> before = snapshot(sd.unet().namedParameters());
        List<String> log = new ArrayList<>();
        DeltaApplier.Result r = DeltaApplier.applyFiles(sd, List.of(file), false, log::add).get(0);
        assertThat(log).as("the recorded base model is checked, not warned about").isEmpty();
        int id = r.tokenIds().get("<new1>");
        assertThat(Tensors.maxAbsDiff(sd.textEncoder().tokenEmbedding().select(0, id), d.tokens().get("<new1>"))).isZero();
        for (Map.Entry<String, Tensor> e : sd.unet().namedParameters().entrySet()) {
            DeltaWeight w = d.weights().get(e.getKey());
            Tensor want = w != null ? w.full() : before.get(e.getKey());
            assertThat(Tensors.maxAbsDiff(e.getValue(), want)).as(e.getKey()).isZero();
        }
    }

    /** The prompt's padded ids twice, (2, 77). */
    private static Tensor ids(StableDiffusion sd, String prompt) {
        int len = sd.tokenizer().maxLength();
        int[] ids = sd.tokenizer().encode(prompt);
        long[] all = new long[2 * len];
        for (int i = 0; i < 2 * len; i++) all[i] = ids[i % len];
        return Tensors.fromLongs(all, 2, len);
    }

    private static Map<String, Tensor> snapshot(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            m.forEach((k, v) -> out.put(k, v.detach().clone()));
        }
        return out;
    }
}
