package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

class ScopesTest {
    /**
     * Five "+1" steps: in a plain scope every result lives until the scope closes; in a chain each
     * is released as soon as the next step has used it (its handle turns null), and only the
     * result survives. Observed on the handles, not on the process's resident size, which the
     * allocator's reuse of freed pages makes depend on what ran before.
     */
    @Test
    void aChainHoldsOnlyTheCurrentStepsInputAndOutput() {
        try (NoGradGuard g = new NoGradGuard(); PointerScope outer = new PointerScope()) {
            Tensor x = torch.zeros(1024);
            List<Tensor> plainResults = new ArrayList<>();
            Tensor h = x;
            try (PointerScope plain = new PointerScope()) {
                for (int i = 0; i < 5; i++) {
                    h = F.add(h, 1.0);
                    plainResults.add(h);
                }
                assertThat(plainResults).noneMatch(t -> t.isNull());
            }

            List<Tensor> made = new ArrayList<>();
            List<UnaryOperator<Tensor>> steps = Collections.nCopies(5, a -> {
                Tensor t = F.add(a, 1.0);
                made.add(t);
                return t;
            });
            Tensor out = Scopes.chain(x, steps);
            assertThat(made).hasSize(5);
            for (int i = 0; i < 4; i++) assertThat(made.get(i).isNull()).as("step %d's result released", i).isTrue();
            assertThat(out).isSameAs(made.get(4));
            assertThat(out.isNull()).isFalse();
            assertThat(out.max().item_double()).isEqualTo(5.0);
            assertThat(x.isNull()).as("the caller's input is never released").isFalse();
        }
    }

    @Test
    void resultsOutliveTheirScopesAndGradientsPassThrough() {
        Tensor x = Rng.seeded(1).randn(3, 4).requires_grad_(true);
        Tensor y;
        try (PointerScope outer = new PointerScope()) {
            // x·x saves x and the square is freed by the chain: backward still has what it needs
            y = Scopes.chain(x, a -> a.mul(a), a -> F.mul(a, 3.0), a -> a); // 3x²; the last step returns its input
            Tensor kept = Scopes.keep(() -> F.add(y, 1.0).sum());
            kept.backward();
            Parity.assertRelative("d(Σ 3x² + 1)/dx", x.grad(), F.mul(x.detach(), 6.0), 1e-7);
            assertThat(Scopes.chain(x)).as("no steps: the input itself").isSameAs(x);
        }
        // x belongs to no scope: steps that hand it back must neither take nor give up a reference to it
        double sum = x.sum().item_double();
        assertThat(Scopes.chain(x, a -> a, a -> F.mul(a, 2.0), a -> x, a -> a)).isSameAs(x);
        System.gc();
        assertThat(x.sum().item_double()).isEqualTo(sum);
    }
}
