package org.cd4j.concept.merge;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.nn.Rng;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cd4j.concept.merge.MergeFixtures.relDiff;

/**
 * The merge's defining properties on synthetic deltas (tiny-sd1-768, the default caption set):
 * every concept's target features map to its own fine-tuned values, everyday text moves less
 * than under naive averaging, the solution is the constrained minimum, and three concepts — one
 * of them described by two tokens — merge.
 */
class MergeConstraintTest {
    @Test
    void threeConceptsWithAMultiTokenOneKeepTheirOwnOutputs() throws Exception {
        ConceptDelta a = MergeFixtures.random(1, 0.01, "<new1>");
        ConceptDelta b = MergeFixtures.random(2, 0.01, "<new1>", "<new2>"); // one concept, two tokens
        ConceptDelta c = MergeFixtures.random(3, 0.01, "<cat>");
        List<MergeInput> inputs = List.of(new MergeInput(a, "a", List.of("wooden pot")),
                new MergeInput(b, "b", List.of("dog")), new MergeInput(c, "c", List.of("cat")));
        ConceptMerger.Result r = ConceptMerger.merge(MergeFixtures.model(), inputs, RegCaptions.defaults(),
                ConceptMerger.Options.defaults());
        ConceptDelta merged = r.delta();
        assertThat(merged.modifierTokens()).containsExactly("<new1>", "<new2>", "<new3>", "<new4>");
        assertThat(r.report().renames()).extracting(RenamedToken::toString).containsExactly(
                "<new1> of a -> <new1>", "<new1> of b -> <new2>", "<new2> of b -> <new3>", "<cat> of c -> <new4>");
        assertThat(r.report().concepts()).extracting(MergeConcept::subject)
                .containsExactly("<new1> wooden pot", "<new2> <new3> dog", "<new4> cat");
        assertThat(merged.tokens().get("<new3>").equal(b.tokens().get("<new2>"))).isTrue();

        // Independently of the merger: encode the target prompts with the merged delta's tokens.
        TextFeatures text = TextFeatures.load(MergeFixtures.model(), merged.tokens());
        Map<ConceptDelta, List<String>> prompts = Map.of(
                a, new MergeConcept(0, List.of("<new1>"), "wooden pot").prompts(),
                b, new MergeConcept(1, List.of("<new2>", "<new3>"), "dog").prompts(),
                c, new MergeConcept(2, List.of("<new4>"), "cat").prompts());
        for (String layer : merged.weights().keySet()) {
            Tensor w = merged.weights().get(layer).full().to(torch.ScalarType.Double);
            for (Map.Entry<ConceptDelta, List<String>> e : prompts.entrySet()) {
                Tensor f = text.featuresOneByOne(e.getValue());
                Tensor own = f.matmul(e.getKey().weights().get(layer).full().to(torch.ScalarType.Double).t());
                assertThat(relDiff(f.matmul(w.t()), own)).as(layer + " " + e.getValue()).isLessThan(1e-5);
            }
        }
        for (LayerMerge l : r.report().layers()) {
            assertThat(l.constraintError()).as(l.name()).isLessThan(1e-8);
            assertThat(l.regChange()).as(l.name()).isLessThan(l.averageRegChange());
        }
        assertThat(merged.info().notes()).contains("<new2> of b -> <new3>");
        assertThat(merged.info().training()).contains("\"merge-categories\":[\"wooden pot\",\"dog\",\"dog\",\"cat\"]");
    }

    /** Any change that keeps the constraints (X Cᵀ = 0) makes the regularisation error larger. */
    @Test
    void isTheConstrainedMinimum() throws Exception {
        Rng rng = Rng.seeded(5);
        Tensor reg = rng.randn(400, 48).to(torch.ScalarType.Double);
        Tensor targets = rng.randn(6, 48).to(torch.ScalarType.Double);
        Tensor w0 = rng.randn(16, 48).to(torch.ScalarType.Double);
        Tensor values = rng.randn(6, 16).to(torch.ScalarType.Double);
        ClosedFormMerge m = ClosedFormMerge.prepare(reg, targets, ClosedFormMerge.Limits.DEFAULT);
        Tensor w = m.solve(w0, values);
        assertThat(m.constraintError(w, values)).isLessThan(1e-12);
        double best = m.regNorm(w.sub(w0));
        // Projector onto the null space of the constraints: I − Cᵀ(CCᵀ)⁻¹C.
        Tensor ct = targets.t();
        Tensor proj = torch.eye(48, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double))
                .sub(ct.matmul(torch.cholesky_inverse(torch.linalg_cholesky(targets.matmul(ct)))).matmul(targets));
        for (int i = 0; i < 5; i++) {
            Tensor x = rng.randn(16, 48).to(torch.ScalarType.Double).matmul(proj).mul(new Scalar(1e-3));
            assertThat(m.constraintError(w.add(x), values)).isLessThan(1e-9);
            assertThat(m.regNorm(w.add(x).sub(w0))).isGreaterThan(best);
        }
        // And regNorm is ‖X C_regᵀ‖_F.
        assertThat(m.regNorm(w.sub(w0))).isCloseTo(reg.matmul(w.sub(w0).t()).norm().item_double(),
                org.assertj.core.data.Percentage.withPercentage(1e-6));
    }

    @Test
    void perTokenCategoriesMakeSeparateConcepts() throws Exception {
        ConceptDelta joint = MergeFixtures.random(7, 0.01, "<new1>", "<new2>");
        ConceptDelta other = MergeFixtures.random(8, 0.01, "<new1>");
        ConceptMerger.Result r = ConceptMerger.merge(MergeFixtures.model(), List.of(
                new MergeInput(joint, "joint", List.of("cat", "dog")), new MergeInput(other, "other", List.of("art print"))),
                RegCaptions.defaults(), ConceptMerger.Options.defaults());
        assertThat(r.report().concepts()).extracting(MergeConcept::subject).containsExactly("<new1> cat", "<new2> dog", "<new3> art print");
        assertThat(r.report().concepts().get(2).prompts()).containsExactly("<new3> art print", "painting in the style of <new3> art print");
        TextFeatures text = TextFeatures.load(MergeFixtures.model(), r.delta().tokens());
        int rows = 0;
        for (MergeConcept c : r.report().concepts()) for (String p : c.prompts()) rows += text.rowCount(p);
        assertThat(r.report().targetRows()).isEqualTo(rows);
        assertThat(text.rowCount("<new1> cat")).isEqualTo(text.ids("<new1> cat").length - 1); // from index 1 through the end token
        assertThat(text.rowCount("photo of a <new1> cat")).isEqualTo(text.ids("photo of a <new1> cat").length - 4);
        assertThat(r.report().maxConstraintError()).isLessThan(1e-8);
    }

    @Test
    void lowRankInputIsExpandedWithW0() throws Exception {
        ConceptDelta a = MergeFixtures.random(11, 0.01, "<new1>");
        ConceptDelta b = MergeFixtures.random(12, 0.01, "<new1>");
        ConceptDelta compressed;
        try (BaseModel base = BaseModel.open(MergeFixtures.model())) {
            compressed = org.cd4j.concept.compress.DeltaCompressor.compress(b, base, new org.cd4j.concept.compress.DeltaCompressor
                    .Options(new org.cd4j.concept.compress.RankCriterion.Energy(1.0), false), "b").delta();
        }
        assertThat(compressed.hasLowRank()).isTrue();
        ConceptMerger.Result full = ConceptMerger.merge(MergeFixtures.model(), List.of(new MergeInput(a, "a", List.of("pot")),
                new MergeInput(b, "b", List.of("ball"))), RegCaptions.defaults(), ConceptMerger.Options.defaults());
        ConceptMerger.Result low = ConceptMerger.merge(MergeFixtures.model(), List.of(new MergeInput(a, "a", List.of("pot")),
                new MergeInput(compressed, "b.compressed", List.of("ball"))), RegCaptions.defaults(), ConceptMerger.Options.defaults());
        assertThat(low.report().warnings()).anyMatch(w -> w.contains("b.compressed is compressed (low-rank); expanding it"));
        assertThat(full.report().warnings()).noneMatch(w -> w.contains("compressed"));
        // Full rank: lossless up to float32 rounding.
        for (String layer : full.delta().weights().keySet()) {
            assertThat(relDiff(low.delta().weights().get(layer).full(), full.delta().weights().get(layer).full())).isLessThan(1e-4);
        }
    }
}
