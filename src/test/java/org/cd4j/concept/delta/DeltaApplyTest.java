package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cd4j.concept.delta.DeltaFixtures.bitEqual;
import static org.cd4j.concept.delta.DeltaFixtures.snapshot;

/** Applying deltas to a pipeline: exactly the delta's weights and tokens change; bad combinations are refused untouched. */
class DeltaApplyTest {
    private static StableDiffusion tiny() throws Exception {
        return StableDiffusion.load(DeltaFixtures.tinySd1(), DType.F32);
    }

    @Test
    void diffusersDeltaChangesExactlyItsWeightsAndAddsOneRow() throws Exception {
        StableDiffusion sd = tiny();
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        Map<String, Tensor> unetBefore = snapshot(sd.unet().namedParameters());
        Map<String, Tensor> teBefore = snapshot(sd.textEncoder().namedParameters());
        int vocab = sd.tokenizer().size();

        DeltaApplier.Result r = d.applyTo(sd, 1.0, false, "diffusers_train");

        assertThat(r.tokenIds()).containsExactly(Map.entry("<new1>", vocab));
        assertThat(r.warnings()).singleElement().asString().contains("does not record its base model");
        int changed = 0;
        for (Map.Entry<String, Tensor> e : sd.unet().namedParameters().entrySet()) {
            Tensor before = unetBefore.get(e.getKey());
            if (d.weights().containsKey(e.getKey())) {
                changed++;
                assertThat(bitEqual(e.getValue(), d.weights().get(e.getKey()).full())).as(e.getKey()).isTrue();
                assertThat(bitEqual(e.getValue(), before)).as(e.getKey()).isFalse();
            } else {
                assertThat(bitEqual(e.getValue(), before)).as(e.getKey()).isTrue();
            }
        }
        assertThat(changed).isEqualTo(12);
        String emb = "text_model.embeddings.token_embedding.weight";
        for (Map.Entry<String, Tensor> e : sd.textEncoder().namedParameters().entrySet()) {
            if (e.getKey().equals(emb)) continue;
            assertThat(bitEqual(e.getValue(), teBefore.get(e.getKey()))).as(e.getKey()).isTrue();
        }
        Tensor table = sd.textEncoder().tokenEmbedding();
        assertThat(table.size(0)).isEqualTo(vocab + 1);
        assertThat(bitEqual(table.narrow(0, 0, vocab), teBefore.get(emb))).isTrue();
        assertThat(bitEqual(table.select(0, vocab), d.tokens().get("<new1>"))).isTrue();
        assertThat(sd.tokenizer().tokenId("<new1>")).hasValue(vocab);
        assertThat(sd.tokenIds("a <new1> pot").select(1, 2).item_long()).isEqualTo(vocab);
    }

    @Test
    void strengthAndLowRank() throws Exception {
        StableDiffusion sd = tiny();
        ConceptDelta full = DeltaFiles.load(DeltaFixtures.adobeDelta()).delta();
        String k = full.weights().keySet().iterator().next();
        Tensor w0 = sd.unet().namedParameters().get(k).clone();
        full.applyTo(sd, 0.5, false, "half");
        Tensor want = w0.add(full.weights().get(k).full().sub(w0), new org.bytedeco.pytorch.Scalar(0.5));
        assertThat(Tensors.maxAbsDiff(sd.unet().namedParameters().get(k), want)).isLessThan(1e-7);

        StableDiffusion sd2 = tiny();
        ConceptDelta low = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        Tensor v0 = sd2.unet().namedParameters().get(k).clone();
        low.applyTo(sd2, 1.0, false, "compressed");
        DeltaWeight w = low.weights().get(k);
        assertThat(Tensors.maxAbsDiff(sd2.unet().namedParameters().get(k), v0.add(w.u().matmul(w.v())))).isLessThan(1e-7);
    }

    @Test
    void tokenAlreadyPresentIsRefused() throws Exception {
        StableDiffusion sd = tiny();
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        d.applyTo(sd, 1.0, false, "first");
        Tensor k = sd.unet().namedParameters().values().iterator().next().clone();
        assertThatThrownBy(() -> d.applyTo(sd, 1.0, false, "again"))
                .hasMessageContaining("<new1>").hasMessageContaining("already in the model's vocabulary");
        assertThat(sd.tokenizer().addedTokens()).containsExactly("<new1>");
        assertThat(bitEqual(sd.unet().namedParameters().values().iterator().next(), k)).isTrue();
    }

    @Test
    void baseModelIdentityIsCheckedUnlessForced() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        ConceptDelta other = d.withInfo(d.info().withBaseModel("0".repeat(64), "another-model"));
        StableDiffusion sd = tiny();
        Map<String, Tensor> before = snapshot(sd.unet().namedParameters());
        assertThatThrownBy(() -> other.applyTo(sd, 1.0, false, "x.cd4j.safetensors"))
                .hasMessageContaining("delta x.cd4j.safetensors was trained on another base model (sha256 000000000000")
                .hasMessageContaining("pass --force to apply it anyway");
        assertThat(sd.tokenizer().addedTokens()).isEmpty();
        for (Map.Entry<String, Tensor> e : sd.unet().namedParameters().entrySet()) {
            assertThat(bitEqual(e.getValue(), before.get(e.getKey()))).isTrue();
        }
        DeltaApplier.Result r = other.applyTo(sd, 1.0, true, "x.cd4j.safetensors");
        assertThat(r.warnings()).singleElement().asString().contains("--force");

        ConceptDelta mine;
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            mine = d.withBaseModel(base);
            assertThat(mine.info().baseModelName()).isEqualTo("tiny-sd1");
        }
        StableDiffusion fresh = tiny();
        assertThat(mine.applyTo(fresh, 1.0, false, "mine").warnings()).isEmpty();
        // the identity hashes the stored weights, so the changed in-memory model still has it
        try (BaseModel of = BaseModel.of(fresh)) {
            assertThat(of.identity(d.weights().keySet())).isEqualTo(mine.info().baseModelSha256());
        }
    }

    @Test
    void identityDoesNotDependOnTheLoadedDtype() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        try (BaseModel a = BaseModel.open(DeltaFixtures.tinySd1());
             BaseModel b = BaseModel.of(StableDiffusion.load(DeltaFixtures.tinySd1(), DType.BF16))) {
            assertThat(b.identity(d.weights().keySet())).isEqualTo(a.identity(d.weights().keySet())).hasSize(64);
        }
    }

    @Test
    void shapeMismatchNamesKeyAndShapes() throws Exception {
        ConceptDelta d768 = DeltaFiles.load(DeltaFixtures.cd("adobe_compose/input_pot/delta.bin")).delta();
        StableDiffusion sd = tiny();
        assertThatThrownBy(() -> d768.applyTo(sd, 1.0, true, "pot.bin"))
                .hasMessageContaining("does not fit the model tiny-sd1")
                .hasMessageContaining("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight is [32, 768] in the delta but [32, 32] in the model");
    }

    @Test
    void twoDeltasChangingOneWeightOrTokenAreRefused() throws Exception {
        StableDiffusion sd = tiny();
        ConceptDelta a = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        ConceptDelta b = DeltaFiles.load(DeltaFixtures.adobeDelta()).delta();
        assertThatThrownBy(() -> DeltaApplier.apply(sd, List.of(new DeltaApplier.Entry(a, 1, "a"), new DeltaApplier.Entry(b, 1, "b")), false))
                .hasMessageContaining("deltas a and b both change down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight;"
                        + " merge them first with `cd4j merge`");
        ConceptDelta onlyToken = new ConceptDelta(Map.of(), b.tokens(), DeltaInfo.empty());
        assertThatThrownBy(() -> DeltaApplier.apply(sd, List.of(new DeltaApplier.Entry(a, 1, "a"),
                new DeltaApplier.Entry(onlyToken, 1, "t")), false))
                .hasMessageContaining("deltas a and t both add the token <new1>");
        assertThat(sd.tokenizer().addedTokens()).isEmpty();
    }
}
