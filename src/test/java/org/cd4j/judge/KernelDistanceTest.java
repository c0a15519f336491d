package org.cd4j.judge;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class KernelDistanceTest {
    @Test
    void matchesTheUnbiasedEstimateByHand() {
        // 1-D features, k(x, y) = (xy + 1)³: generated {0, 1}, real {1, 2}
        // k(0,1) = 1; k(1,2) = 27; k(0,1)=1, k(0,2)=1, k(1,1)=8, k(1,2)=27
        // xx = 2·1 / 2 = 1; yy = 2·27 / 2 = 27; xy = (1 + 1 + 8 + 27) / 4 = 37/4
        Estimate e = KernelDistance.of(List.of(new float[]{0}, new float[]{1}), List.of(new float[]{1}, new float[]{2}));
        assertThat(e.mean()).isCloseTo(1 + 27 - 2 * 37 / 4.0, within(1e-12));
        assertThat(e.standardError()).isNaN(); // no jackknife with two generated pictures
        assertThat(e.n()).isEqualTo(2);
    }

    @Test
    void jackknifeEqualsRecomputingWithoutEachPicture() {
        SplittableRandom r = new SplittableRandom(7);
        List<float[]> gen = vectors(r, 6, 3, 0.5), real = vectors(r, 9, 3, 0);
        Estimate e = KernelDistance.of(gen, real);
        double[] loo = new double[gen.size()];
        double mean = 0;
        for (int i = 0; i < gen.size(); i++) {
            List<float[]> rest = new ArrayList<>(gen);
            rest.remove(i);
            loo[i] = direct(rest, real);
            mean += loo[i] / gen.size();
        }
        double ss = 0;
        for (double v : loo) ss += (v - mean) * (v - mean);
        assertThat(e.mean()).isCloseTo(direct(gen, real), within(1e-9));
        assertThat(e.standardError()).isCloseTo(Math.sqrt(ss * (gen.size() - 1.0) / gen.size()), within(1e-9));
        assertThat(e.n()).isEqualTo(6);
    }

    @Test
    void isNearZeroForOneDistributionAndGrowsWithTheShift() {
        SplittableRandom r = new SplittableRandom(11);
        List<float[]> real = vectors(r, 200, 8, 0);
        Estimate same = KernelDistance.of(vectors(r, 100, 8, 0), real);
        Estimate near = KernelDistance.of(vectors(r, 100, 8, 0.5), real);
        Estimate far = KernelDistance.of(vectors(r, 100, 8, 1.5), real);
        assertThat(Math.abs(same.mean())).isLessThan(3 * same.standardError());
        assertThat(near.mean()).isGreaterThan(same.mean() + 3 * near.standardError());
        assertThat(far.mean()).isGreaterThan(near.mean() + 3 * far.standardError());
    }

    @Test
    void refusesTooFewPicturesAndMismatchedFeatures() {
        float[] a = {1, 2};
        assertThatThrownBy(() -> KernelDistance.of(List.of(a), List.of(a, a))).hasMessageContaining("at least 2 generated")
                .hasMessageContaining("got 1 and 2");
        assertThatThrownBy(() -> KernelDistance.of(List.of(a, a), List.of(a, new float[]{1})))
                .hasMessageContaining("feature vectors of 1 and 2 values");
    }

    /** {@code n} Gaussian vectors of {@code d} values with every mean {@code shift}. */
    private static List<float[]> vectors(SplittableRandom r, int n, int d, double shift) {
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] v = new float[d];
            for (int j = 0; j < d; j++) v[j] = (float) (shift + gaussian(r));
            out.add(v);
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** The estimator written out as its definition, every pair summed. */
    private static double direct(List<float[]> x, List<float[]> y) {
        int m = x.size(), n = y.size();
        double xx = 0, yy = 0, xy = 0;
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) if (i != j) xx += KernelDistance.kernel(x.get(i), x.get(j));
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) yy += KernelDistance.kernel(y.get(i), y.get(j));
        for (float[] a : x) for (float[] b : y) xy += KernelDistance.kernel(a, b);
        return xx / (m * (m - 1.0)) + yy / (n * (n - 1.0)) - 2 * xy / ((double) m * n);
    }
}
