package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.bench.Rss;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ScopesTest {
    private static final long MIB_64 = 64L << 20;

    /** Five "+1" steps on a 64 MiB tensor: without a chain all five results live until the scope closes. */
    @Test
    void aChainHoldsOnlyTheCurrentStepsInputAndOutput() {
        assumeTrue(Rss.resetPeak(), "peak resident size cannot be reset here");
        List<UnaryOperator<Tensor>> steps = Collections.nCopies(5, a -> F.add(a, 1.0));
        try (NoGradGuard g = new NoGradGuard(); PointerScope outer = new PointerScope()) {
            Tensor x = torch.zeros(MIB_64 / Float.BYTES);
            long plain = growth(() -> {
                Tensor h = x;
                for (UnaryOperator<Tensor> s : steps) h = s.apply(h);
                return h;
            });
            long chained = growth(() -> Scopes.chain(x, steps));
            assertThat(plain).isGreaterThan(4 * MIB_64);
            assertThat(chained).isLessThan(5 * MIB_64 / 2);
        }
    }

    private static long growth(java.util.function.Supplier<Tensor> body) {
        try (PointerScope scope = new PointerScope()) {
            Rss.resetPeak();
            long before = Rss.currentBytes();
            Tensor out = body.get();
            assertThat(out.max().item_double()).isEqualTo(5.0);
            long grown = Rss.peakBytes() - before;
            System.out.printf("[memory] +%.0f MiB%n", grown / 1048576.0);
            return grown;
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
