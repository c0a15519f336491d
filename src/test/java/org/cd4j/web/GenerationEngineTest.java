package org.cd4j.web;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.TrainMode;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.ProgressListener;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cached base model is what was loaded, bit for bit, after every generation with deltas
 * (their weights restored, their tokens kept out of the base tokenizer), and the timing that
 * chose restoring over reloading.
 */
class GenerationEngineTest {
    static ConceptDelta synthetic(StableDiffusion sd, long seed) {
        Rng rng = Rng.seeded(seed);
        Map<String, DeltaWeight> w = new LinkedHashMap<>();
        sd.unet().namedParameters().forEach((k, v) -> {
            if (TrainMode.CROSSATTN_KV.trains(k)) w.put(k, DeltaWeight.full(v.add(rng.randn(Tensors.shape(v)), new Scalar(0.1))));
        });
        Tensor row = rng.randn(sd.textEncoder().tokenEmbedding().size(1));
        return new ConceptDelta(w, Map.of("<new1>", row), DeltaInfo.empty());
    }

    @Test
    void theBaseIsRestoredBitForBitAfterGeneratingWithADelta() throws Exception {
        ModelRegistry.Model m = ModelRegistry.of(List.of(ServerFixture.tinySd1())).get("tiny-sd1");
        GenerationEngine engine = new GenerationEngine();
        List<String> log = new ArrayList<>();
        StableDiffusion base = engine.base(m, log::add);
        Map<String, Tensor> before = new LinkedHashMap<>();
        base.unet().namedParameters().forEach((k, v) -> before.put(k, v.detach().clone()));
        Tensor embeddings = base.textEncoder().tokenEmbedding().detach().clone();
        int vocab = base.tokenizer().size();
        GenerationRequest r = new GenerationRequest("photo of a <new1> pot", null, 1, 2, 7.5, null, 0, 64, 64, 1, false, null);

        List<BufferedImage> plain = engine.generate(m, List.of(), false, r, ProgressListener.NONE, log::add);
        long t = System.nanoTime();
        List<BufferedImage> with = engine.generate(m, List.of(new DeltaApplier.Entry(synthetic(base, 3), 1.0, "synthetic")), false, r,
                ProgressListener.NONE, log::add);
        double withDelta = (System.nanoTime() - t) / 1e9;
        List<BufferedImage> again = engine.generate(m, List.of(), false, r, ProgressListener.NONE, log::add);

        assertThat(engine.base(m, log::add)).as("still the cached base").isSameAs(base);
        for (Map.Entry<String, Tensor> e : before.entrySet()) {
            assertThat(Tensors.maxAbsDiff(e.getValue(), base.unet().namedParameters().get(e.getKey()))).as(e.getKey()).isZero();
        }
        assertThat(base.tokenizer().size()).isEqualTo(vocab);
        assertThat(base.tokenizer().addedTokens()).doesNotContain("<new1>");
        assertThat(Tensors.maxAbsDiff(embeddings, base.textEncoder().tokenEmbedding())).isZero();
        assertThat(GenerateApiTest.same(plain.get(0), again.get(0))).isTrue();
        assertThat(GenerateApiTest.same(plain.get(0), with.get(0))).isFalse();

        t = System.nanoTime();
        StableDiffusion.load(m.dir(), DType.F32);
        double reload = (System.nanoTime() - t) / 1e9;
        System.out.printf(java.util.Locale.ROOT, "tiny-sd1: full reload %.3f s; generation with a delta (apply + generate + restore) %.3f s%n",
                reload, withDelta);
    }

    @Test
    void aRefusedDeltaLeavesTheBaseUntouched() throws Exception {
        ModelRegistry.Model m = ModelRegistry.of(List.of(ServerFixture.tinySd1())).get("tiny-sd1");
        GenerationEngine engine = new GenerationEngine();
        StableDiffusion base = engine.base(m, s -> { });
        ConceptDelta d = synthetic(base, 5);
        ConceptDelta foreign = d.withInfo(d.info().withBaseModel("0".repeat(64), "other"));
        Map<String, Tensor> before = new LinkedHashMap<>();
        base.unet().namedParameters().forEach((k, v) -> before.put(k, v.detach().clone()));
        GenerationRequest r = new GenerationRequest("x", null, 1, 1, 7.5, null, 0, 64, 64, 1, false, null);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.generate(m, List.of(new DeltaApplier.Entry(foreign, 1, "foreign")),
                false, r, ProgressListener.NONE, s -> { })).hasMessageContaining("another base model");
        for (Map.Entry<String, Tensor> e : before.entrySet()) {
            assertThat(Tensors.maxAbsDiff(e.getValue(), base.unet().namedParameters().get(e.getKey()))).as(e.getKey()).isZero();
        }
    }
}
