package org.cd4j.nn;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.bench.Rss;
import org.cd4j.nn.AttentionKernel.Mode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AttentionKernelTest {
    private static final double SCALE = 0.25; // 1/sqrt(16)

    /** q, k, v (2, 3, T|S, 16) requiring gradients. */
    private static Tensor[] inputs(long t, long s, long seed) {
        Rng rng = Rng.seeded(seed);
        return new Tensor[] {rng.randn(2, 3, t, 16).requires_grad_(true), rng.randn(2, 3, s, 16).requires_grad_(true),
                rng.randn(2, 3, s, 16).requires_grad_(true)};
    }

    /** The output and the gradients of Σ output·w for q, k, v: what training sees. */
    private static List<Tensor> outputAndGradients(AttentionKernel kernel, long t, long s) {
        Tensor[] in = inputs(t, s, 7);
        Tensor out = kernel.attend(in[0], in[1], in[2], SCALE);
        Tensor w = Rng.seeded(8).randn(Tensors.shape(out)); // a non-uniform upstream gradient
        out.mul(w).sum().backward();
        List<Tensor> r = new ArrayList<>(List.of(out.detach()));
        for (Tensor x : in) r.add(x.grad().clone()); // grad() borrows from x, which dies when we return
        return r;
    }

    @Test
    void everyModeComputesTheSameAttentionAndGradients() {
        long t = 37, s = 29; // cross-attention shape; 37 rows in chunks of 4 leave a short last chunk
        AttentionKernel sliced = new AttentionKernel(Mode.SLICED, 4L * 2 * Float.BYTES * 2 * 3 * s);
        Tensor[] probe = inputs(t, s, 7);
        assertThat(sliced.chunkRows(probe[0], probe[1])).isEqualTo(4);

        List<Tensor> full = outputAndGradients(AttentionKernel.of(Mode.FULL), t, s);
        String[] names = {"output", "dq", "dk", "dv"};
        for (AttentionKernel k : List.of(sliced, AttentionKernel.of(Mode.FUSED), AttentionKernel.DEFAULT)) {
            List<Tensor> got = outputAndGradients(k, t, s);
            for (int i = 0; i < names.length; i++) Parity.assertRelative(k.mode() + " " + names[i], got.get(i), full.get(i), 1e-5);
        }
        // and against the formula written out in double precision
        Tensor[] in = inputs(t, s, 7);
        Tensor q = in[0].detach().to(torch.ScalarType.Double), kk = in[1].detach().to(torch.ScalarType.Double);
        Tensor exact = F.softmax(F.mul(q.matmul(kk.transpose(-2, -1)), SCALE), -1).matmul(in[2].detach().to(torch.ScalarType.Double));
        Parity.assertRelative("full vs float64", full.get(0), exact.to(torch.ScalarType.Float), 1e-6);
    }

    /**
     * Half-precision inputs that gradients flow back through run the fused kernel in float32
     * (libtorch's CPU bf16 flash backward is 8–10× slower), also under autocast, and come back in
     * their own dtype; without gradients they keep the bf16 kernel. Results agree with float32 to
     * bf16's precision.
     */
    @Test
    void halfPrecisionWithGradientsRunsTheFusedKernelInFloat32() {
        Tensor[] in = inputs(37, 29, 7);
        Tensor[] bf = new Tensor[3];
        for (int i = 0; i < 3; i++) bf[i] = in[i].detach().to(torch.ScalarType.BFloat16).requires_grad_(true);
        assertThat(AttentionKernel.upcastsForBackward(bf[0], bf[1], bf[2])).isTrue();
        assertThat(AttentionKernel.upcastsForBackward(in[0], in[1], in[2])).as("float32 inputs").isFalse();
        try (NoGradGuard g = new NoGradGuard()) {
            assertThat(AttentionKernel.upcastsForBackward(bf[0], bf[1], bf[2])).as("without gradients").isFalse();
        }
        Tensor out;
        try (Autocast a = Autocast.to(DType.BF16)) {
            out = AttentionKernel.of(Mode.FUSED).attend(bf[0], bf[1], bf[2], SCALE);
        }
        assertThat(out.scalar_type().value).isEqualTo(torch.ScalarType.BFloat16.value);
        Tensor w = Rng.seeded(8).randn(Tensors.shape(out));
        out.to(torch.ScalarType.Float).mul(w).sum().backward();
        List<Tensor> ref = outputAndGradients(AttentionKernel.of(Mode.FUSED), 37, 29);
        Parity.assertRelative("bf16 output", out.detach().to(torch.ScalarType.Float), ref.get(0), 2e-2);
        for (int i = 0; i < 3; i++) {
            assertThat(bf[i].grad().scalar_type().value).isEqualTo(torch.ScalarType.BFloat16.value);
            Parity.assertRelative("bf16 grad " + i, bf[i].grad().to(torch.ScalarType.Float), ref.get(i + 1), 3e-2);
        }
    }

    @Test
    void autoTakesTheFusedKernelWhereItAvoidsTheMatrixAndSlicesElsewhere() {
        Tensor[] in = inputs(64, 64, 1);
        AttentionKernel small = new AttentionKernel(Mode.AUTO, 4096);
        assertThat(small.choose(in[0], in[1], in[2])).isEqualTo(Mode.FUSED); // 4-D, dense, one head width
        Tensor q3 = in[0].detach().flatten(0, 1), k3 = in[1].detach().flatten(0, 1), v3 = in[2].detach().flatten(0, 1);
        assertThat(small.choose(q3, k3, v3)).as("3-D: libtorch's math path").isEqualTo(Mode.SLICED);
        assertThat(AttentionKernel.DEFAULT.choose(q3, k3, v3)).as("3-D under the budget").isEqualTo(Mode.FUSED);
        Tensor strided = Rng.seeded(2).randn(2, 3, 16, 64).transpose(-2, -1); // (2, 3, 64, 16), last-dim stride 64
        assertThat(small.choose(strided, in[1], in[2])).isEqualTo(Mode.SLICED);
        assertThat(AttentionKernel.matrixBytes(in[0], in[1])).isEqualTo(4L * 2 * 3 * 64 * 64);
        assertThat(new AttentionKernel(Mode.FULL, 1).choose(in[0], in[1], in[2])).isEqualTo(Mode.FULL);
    }

    @Test
    void modesParseFromFlagsAndBadValuesAreNamed() {
        assertThat(Mode.parse("sliced")).isEqualTo(Mode.SLICED);
        assertThat(Mode.parse(" Auto ")).isEqualTo(Mode.AUTO);
        assertThatThrownBy(() -> Mode.parse("flash")).hasMessageContaining("'flash'").hasMessageContaining("auto, fused, sliced or full");
        assertThatThrownBy(() -> new AttentionKernel(Mode.AUTO, 0)).hasMessageContaining("budget");
    }

    /**
     * What the modes are for: 4096 tokens and 2 matrices make a 128 MiB float32 weight matrix.
     * The full formula holds it and its scores at once; the fused kernel holds neither, and
     * 64 MiB slices one 32 MiB chunk of each. (Chunks of 32 MiB and more are always mapped
     * afresh by glibc's malloc; smaller ones can fragment its heap on first use, which would
     * measure the allocator rather than the slicing.)
     */
    @Test
    void onlyTheFullFormulaHoldsTheWholeMatrix() {
        assumeTrue(Rss.resetPeak(), "peak resident size cannot be reset here");
        Rng rng = Rng.seeded(3);
        Tensor q = rng.randn(1, 2, 4096, 16), k = rng.randn(1, 2, 4096, 16), v = rng.randn(1, 2, 4096, 16);
        long matrix = AttentionKernel.matrixBytes(q, k);
        assertThat(matrix).isEqualTo(128L << 20);
        try (NoGradGuard g = new NoGradGuard()) {
            assertThat(growth(AttentionKernel.of(Mode.FULL), q, k, v)).isGreaterThan(matrix * 3 / 2);
            assertThat(growth(AttentionKernel.of(Mode.FUSED), q, k, v)).isLessThan(matrix / 8);
            assertThat(growth(new AttentionKernel(Mode.SLICED, 64L << 20), q, k, v)).isLessThan(matrix * 3 / 4);
        }
    }

    /** Peak resident growth while {@code kernel} attends, bytes. */
    private static long growth(AttentionKernel kernel, Tensor q, Tensor k, Tensor v) {
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            Rss.resetPeak();
            long before = Rss.currentBytes();
            kernel.attend(q, k, v, SCALE);
            long grown = Rss.peakBytes() - before;
            System.out.printf("[memory] %s: +%.1f MiB%n", kernel.mode(), grown / 1048576.0);
            return grown;
        }
    }
}
