package org.cd4j.concept.merge;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.nn.F;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cd4j.concept.merge.MergeFixtures.compose;
import static org.cd4j.concept.merge.MergeFixtures.relDiff;

/**
 * {@link ConceptMerger} against adobe's {@code src/diffusers_composenW.py} on tiny-sd1-768
 * ({@code adobe_compose}: "wooden pot" + "ball", the fixture's 200 captions).
 *
 * <p>The reference solves in float32 ({@code scipy lu_factor} of {@code C_regᵀC_reg}, whose
 * condition number is 5.3e9 on this tiny random text encoder, far beyond float32's 1.7e7), so
 * its merged weights are dominated by rounding: its {@code D} differs from the exact one by more
 * than its own norm and no implementation reproduces those weights. What is checked instead:
 * the features, tokens, renaming and values are the reference's — they reproduce, on the
 * reference's own output weights, the residuals {@code compose.log} printed — and the weights
 * are the exact (float64) solution of the same system, which meets the constraints the
 * reference only approximates.
 */
class ComposeParityTest {
    private static final String POT = "input_pot/delta.bin", BALL = "input_ball/delta.bin";
    private static ConceptDelta pot, ball, reference;
    private static ConceptMerger.Result ours;

    @BeforeAll
    static void merge() throws Exception {
        pot = DeltaFiles.load(compose(POT)).delta();
        ball = DeltaFiles.load(compose(BALL)).delta();
        reference = DeltaFiles.load(compose("output/optimized_wooden_pot+ball/delta.bin")).delta();
        ours = ConceptMerger.merge(MergeFixtures.model(), List.of(new MergeInput(pot, POT, List.of("wooden pot")),
                new MergeInput(ball, BALL, List.of("ball"))), MergeFixtures.referenceCaptions(), ConceptMerger.Options.defaults());
    }

    @Test
    void sameLayersTokensAndTargetsAsTheReference() {
        ConceptDelta d = ours.delta();
        assertThat(d.weights().keySet()).containsExactlyElementsOf(reference.weights().keySet());
        assertThat(d.modifierTokens()).containsExactly("<new1>", "<new2>");
        // diffusers_composenW keeps each input's first token row as is.
        assertThat(d.tokens().get("<new1>").equal(reference.tokens().get("<new1>"))).isTrue();
        assertThat(d.tokens().get("<new2>").equal(reference.tokens().get("<new2>"))).isTrue();
        assertThat(ours.report().concepts()).extracting(MergeConcept::subject).containsExactly("<new1> wooden pot", "<new2> ball");
        assertThat(ours.report().targetRows()).isEqualTo(14); // compose.log: "target size: torch.Size([14, 768])"
        assertThat(ours.report().duplicateRows()).isZero();
        assertThat(ours.report().renames()).extracting(RenamedToken::original).containsExactly("<new1>", "<new1>");
        assertThat(d.info().notes()).contains("<new1> of " + POT + " -> <new1>").contains("<new1> of " + BALL + " -> <new2>");
    }

    /** The reference's printed per-layer mean residual norms (target rows, then regularisation rows), recomputed. */
    @Test
    void featuresReproduceTheReferenceDiagnostics() throws Exception {
        List<double[]> logged = new ArrayList<>();
        for (String line : Files.readAllLines(compose("compose.log"))) {
            if (line.matches("[0-9.eE+-]+ [0-9.eE+-]+")) {
                String[] p = line.split(" ");
                logged.add(new double[]{Double.parseDouble(p[0]), Double.parseDouble(p[1])});
            }
        }
        assertThat(logged).hasSize(reference.weights().size());
        Systems s = systems();
        int i = 0;
        try (BaseModel base = BaseModel.open(MergeFixtures.model())) {
            for (String layer : reference.weights().keySet()) {
                Tensor w0 = base.weight(layer).to(torch.ScalarType.Double);
                double[] r = residuals(reference.weights().get(layer).full(), w0, s, values(layer, s));
                assertThat(r[0]).as(layer).isCloseTo(logged.get(i)[0], org.assertj.core.data.Percentage.withPercentage(0.1));
                assertThat(r[1]).as(layer).isCloseTo(logged.get(i)[1], org.assertj.core.data.Percentage.withPercentage(0.01));
                i++;
            }
        }
    }

    /**
     * Ours meets the constraints about 4000× more exactly than the reference. The reference's
     * regularisation error is ~9% lower only because it does not meet them: on a system this
     * ill-conditioned a constraint residual of 1e-3 buys that much (ours is the exact minimiser,
     * see {@link #equalsTheLiteralFormulaInFloat64()} and {@code MergeConstraintTest}).
     */
    @Test
    void meetsTheConstraintsWhereTheReferenceOnlyApproximatesThem() throws Exception {
        Systems s = systems();
        try (BaseModel base = BaseModel.open(MergeFixtures.model())) {
            for (String layer : reference.weights().keySet()) {
                Tensor w0 = base.weight(layer).to(torch.ScalarType.Double);
                Tensor v = values(layer, s);
                Tensor ref = reference.weights().get(layer).full().to(torch.ScalarType.Double);
                Tensor mine = ours.delta().weights().get(layer).full().to(torch.ScalarType.Double);
                double refConstraint = s.targets.matmul(ref.t()).sub(v).norm().item_double();
                double mineConstraint = s.targets.matmul(mine.t()).sub(v).norm().item_double();
                assertThat(mineConstraint).as(layer).isLessThan(refConstraint * 1e-2);
                double refReg = s.reg.matmul(ref.sub(w0).t()).norm().item_double();
                double mineReg = s.reg.matmul(mine.sub(w0).t()).norm().item_double();
                assertThat(mineReg).as(layer).isBetween(refReg, refReg * 1.15);
            }
        }
        assertThat(ours.report().maxConstraintError()).isLessThan(1e-8);
        assertThat(ours.report().warnings()).anyMatch(w -> w.contains("float32 solve"));
    }

    /** The Cholesky path equals the reference's formula (LU solve, explicit inverse) evaluated in float64. */
    @Test
    void equalsTheLiteralFormulaInFloat64() throws Exception {
        Systems s = systems();
        try (BaseModel base = BaseModel.open(MergeFixtures.model())) {
            for (String layer : reference.weights().keySet()) {
                Tensor w0 = base.weight(layer).to(torch.ScalarType.Double);
                Tensor v = values(layer, s);
                Tensor literal = LargeStack.call(() -> {
                    Tensor c = s.reg.t().matmul(s.reg);
                    Tensor d = torch.linalg_solve(c, s.targets.t()).t(); // d = Ktarget C⁻¹, row by row in the reference
                    Tensor e2 = d.matmul(s.targets.t());
                    Tensor e1 = v.t().sub(w0.matmul(s.targets.t()));
                    return w0.add(e1.matmul(torch.linalg_inv(e2)).matmul(d));
                });
                assertThat(relDiff(ours.delta().weights().get(layer).full(), literal)).as(layer).isLessThan(1e-5);
            }
        }
    }

    /** Features of the fixture's run: regularisation rows and the 14 target rows. */
    private record Systems(Tensor reg, Tensor targets, Tensor potRows, Tensor ballRows) {}

    private static Systems systems() throws Exception {
        Map<String, Tensor> tokens = new LinkedHashMap<>();
        tokens.put("<new1>", pot.tokens().get("<new1>"));
        tokens.put("<new2>", ball.tokens().get("<new1>"));
        TextFeatures text = TextFeatures.load(MergeFixtures.model(), tokens);
        Tensor potRows = text.featuresOneByOne(List.of("<new1> wooden pot", "photo of a <new1> wooden pot"));
        Tensor ballRows = text.featuresOneByOne(List.of("<new2> ball", "photo of a <new2> ball"));
        return new Systems(text.features(MergeFixtures.referenceCaptions()), F.cat(0, potRows, ballRows), potRows, ballRows);
    }

    /** V (14, out): each concept's rows through its own fine-tuned weight. */
    private static Tensor values(String layer, Systems s) {
        Tensor wp = pot.weights().get(layer).full().to(torch.ScalarType.Double);
        Tensor wb = ball.weights().get(layer).full().to(torch.ScalarType.Double);
        return F.cat(0, s.potRows.matmul(wp.t()), s.ballRows.matmul(wb.t()));
    }

    /** The reference's printout: mean row norm of {@code W c − v} over target rows, and of {@code (W − W0) c} over regularisation rows. */
    private static double[] residuals(Tensor w, Tensor w0, Systems s, Tensor v) {
        Tensor wd = w.to(torch.ScalarType.Double);
        ScalarOptional two = new ScalarOptional(new Scalar(2));
        Tensor tgt = s.targets.matmul(wd.t()).sub(v).norm(two, new long[]{1}, false, torch.ScalarType.Double);
        Tensor reg = s.reg.matmul(wd.sub(w0).t()).norm(two, new long[]{1}, false, torch.ScalarType.Double);
        return new double[]{tgt.mean().item_double(), reg.mean().item_double()};
    }
}
