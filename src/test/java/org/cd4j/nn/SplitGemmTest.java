package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Float32 products split over cores against libtorch's unsplit ones, and where the split must not apply. */
class SplitGemmTest {
    private int threadsBefore;

    @BeforeEach
    void twoThreads() {
        threadsBefore = Torch.threads();
        Torch.setThreads(2); // the split needs two libtorch threads; two run on any machine
    }

    @AfterEach
    void restoreThreads() {
        Torch.setThreads(threadsBefore);
    }

    private static double relErr(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double() / b.abs().max().item_double();
    }

    @Test
    void theTestConfigurationEnablesTheSplitAsTheLauncherDoes() {
        assertThat(SplitGemm.enabled()).as("surefire sets GOMP_SPINCOUNT=30000, as ./cd4j does").isTrue();
    }

    /** Many rows split by rows, few rows by output features; with and without bias; 2-D and 3-D inputs. */
    @Test
    void splitLinearEqualsTorchLinear() {
        Rng rng = Rng.seeded(3);
        long[][] shapes = {{2, 256, 320, 640}, {1, 64, 1280, 2048}, {1, 77, 768, 640}, {1, 300, 320, 128}};
        for (long[] s : shapes) {
            for (boolean bias : new boolean[]{true, false}) {
                try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    Tensor x = s[0] == 1 ? rng.randn(s[1], s[2]) : rng.randn(s[0], s[1], s[2]);
                    Tensor w = F.mul(rng.randn(s[3], s[2]), 0.05), b = bias ? rng.randn(s[3]) : null;
                    Tensor split = SplitGemm.linear(x, w, b);
                    assertThat(split).as("%s bias %s is split", java.util.Arrays.toString(s), bias).isNotNull();
                    Tensor ref = torch.linear(x, w, b == null ? new TensorOptional() : new TensorOptional(b));
                    assertThat(split.sizes().vec().get()).isEqualTo(ref.sizes().vec().get());
                    assertThat(relErr(split, ref)).as("%s bias %s", java.util.Arrays.toString(s), bias).isLessThan(1e-6);
                    assertThat(F.linear(x, w, b).equal(split)).as("F.linear takes the split").isTrue();
                }
            }
        }
    }

    @Test
    void splitProductEqualsMatmulAndConvolutionsUseIt() {
        Rng rng = Rng.seeded(5);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor a = rng.randn(515, 4608), m = rng.randn(4608, 16); // odd rows: unequal blocks
            Tensor split = SplitGemm.mm(a, m);
            assertThat(split).isNotNull();
            assertThat(relErr(split, a.matmul(m))).isLessThan(1e-6);

            Tensor x = rng.randn(1, 1024, 8, 8), w = F.mul(rng.randn(256, 1024, 3, 3), 0.02), b = rng.randn(256);
            assertThat(relErr(F.conv2dAsMatmul(x, w, b, 1, 1), F.conv2d(x, w, b, 1, 1))).isLessThan(1e-5);
        }
    }

    @Test
    void declinesWhereTheSplitMustNotApply() {
        Rng rng = Rng.seeded(9);
        try (PointerScope scope = new PointerScope()) {
            Tensor x = rng.randn(512, 320), w = rng.randn(640, 320);
            try (NoGradGuard g = new NoGradGuard()) {
                assertThat(SplitGemm.linear(x, w, null)).as("baseline: split").isNotNull();
                assertThat(SplitGemm.linear(rng.randn(8, 32), rng.randn(16, 32), null)).as("too small").isNull();
                assertThat(SplitGemm.linear(x.to(torch.ScalarType.BFloat16), w.to(torch.ScalarType.BFloat16), null)).as("bf16").isNull();
                try (Autocast ac = Autocast.to(DType.BF16)) {
                    assertThat(SplitGemm.linear(x, w, null)).as("under autocast").isNull();
                }
                Torch.setThreads(1);
                assertThat(SplitGemm.linear(x, w, null)).as("one libtorch thread").isNull();
                Torch.setThreads(2);
            }
            Tensor trainable = rng.randn(640, 320).requires_grad_(true);
            assertThat(SplitGemm.linear(x, trainable, null)).as("a weight that wants a gradient").isNull();
            Tensor y = F.linear(x, trainable, null);
            assertThat(y.requires_grad()).as("so F.linear stays differentiable").isTrue();
            try (NoGradGuard g = new NoGradGuard()) {
                assertThat(SplitGemm.linear(x, trainable, null)).as("no gradient mode: split").isNotNull();
            }
        }
    }

    @Test
    void concurrentCallersEachGetTheirOwnProduct() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Double>> errors = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                long seed = 100 + t;
                errors.add(pool.submit(() -> {
                    double worst = 0;
                    Rng rng = Rng.seeded(seed);
                    for (int i = 0; i < 15; i++) {
                        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                            Tensor x = rng.randn(384, 256), w = rng.randn(512, 256);
                            Tensor ref = torch.linear(x, w, new TensorOptional());
                            worst = Math.max(worst, relErr(F.linear(x, w, null), ref)); // split, or unsplit while another holds the helpers
                        }
                    }
                    return worst;
                }));
            }
            for (Future<Double> e : errors) assertThat(e.get()).isLessThan(1e-6);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingPartFailsTheCallAndTheHelpersStayUsable() {
        assertThat(GemmWorkers.tryAcquire(2)).isTrue();
        try {
            Runnable fails = () -> {
                throw new IllegalStateException("part failed");
            };
            assertThatThrownBy(() -> GemmWorkers.run(new Runnable[]{fails, () -> { }})).hasMessage("part failed");
            assertThatThrownBy(() -> GemmWorkers.run(new Runnable[]{() -> { }, fails})).hasMessage("part failed");
        } finally {
            GemmWorkers.release();
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Rng rng = Rng.seeded(1);
            Tensor a = rng.randn(600, 512), m = rng.randn(512, 128);
            assertThat(relErr(SplitGemm.mm(a, m), a.matmul(m))).isLessThan(1e-6);
        }
    }

    @Test
    void readsLibgompsSettingAsLibgompDoes() {
        assertThat(SplitGemm.openMpYieldsSoon(Map.of())).as("libgomp's default spins 300000 rounds").isFalse();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "10000"))).isTrue();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "30k"))).isTrue();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "50000"))).isFalse();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "0"))).isTrue();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "300000"))).isFalse();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "1M"))).isFalse();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("GOMP_SPINCOUNT", "infinite"))).isFalse();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("OMP_WAIT_POLICY", "PASSIVE"))).isTrue();
        assertThat(SplitGemm.openMpYieldsSoon(Map.of("OMP_WAIT_POLICY", "active", "GOMP_SPINCOUNT", "10"))).isFalse();
    }
}
