package org.cd4j.judge;

import java.util.List;

/**
 * Kernel distance between two sets of pictures' features: the unbiased estimate of the squared
 * maximum mean discrepancy with the cubic polynomial kernel {@code k(x, y) = (xᵀy / d + 1)³}, which
 * is the Kernel Inception Distance (Bińkowski et al., 2018) that the Custom Diffusion paper uses to
 * measure forgetting, here on the judge's embeddings instead of Inception's. 0 means the two sets
 * are drawn from the same distribution; being unbiased, the estimate can fall slightly below 0.
 *
 * <p>Its standard error is the jackknife's over the first set (the generated pictures), with the
 * second (the real pictures) held fixed: how far the distance would move with other pictures of
 * the same model against the same reference.
 */
public final class KernelDistance {
    private KernelDistance() {}

    /**
     * The kernel distance of {@code generated} to {@code real}, with its jackknife standard error
     * ({@code NaN} for two generated pictures) and {@code n} = the number of generated pictures.
     *
     * @throws IllegalArgumentException when either set has fewer than 2 vectors, or their lengths differ
     */
    public static Estimate of(List<float[]> generated, List<float[]> real) {
        int m = generated.size(), n = real.size();
        if (m < 2 || n < 2) {
            throw new IllegalArgumentException("a kernel distance needs at least 2 generated and 2 real pictures, got "
                    + m + " and " + n);
        }
        int d = generated.get(0).length;
        for (List<float[]> set : List.of(generated, real)) {
            for (float[] v : set) {
                if (v.length != d) throw new IllegalArgumentException("feature vectors of " + v.length + " and " + d + " values");
            }
        }
        // row sums of the generated-generated kernel (diagonal left out) and of the generated-real kernel
        double[] rowXX = new double[m], rowXY = new double[m];
        double sumXX = 0, sumXY = 0, sumYY = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double k = kernel(generated.get(i), generated.get(j));
                rowXX[i] += k;
                rowXX[j] += k;
                sumXX += 2 * k;
            }
            for (float[] y : real) rowXY[i] += kernel(generated.get(i), y);
            sumXY += rowXY[i];
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) sumYY += 2 * kernel(real.get(i), real.get(j));
        }
        double yy = sumYY / (n * (n - 1.0));
        double full = sumXX / (m * (m - 1.0)) + yy - 2 * sumXY / ((double) m * n);
        if (m == 2) return new Estimate(full, Double.NaN, m);
        // leave generated picture i out: its row leaves the generated-generated sum twice (k is symmetric)
        double[] loo = new double[m];
        double mean = 0;
        for (int i = 0; i < m; i++) {
            loo[i] = (sumXX - 2 * rowXX[i]) / ((m - 1.0) * (m - 2.0)) + yy - 2 * (sumXY - rowXY[i]) / ((m - 1.0) * n);
            mean += loo[i] / m;
        }
        double ss = 0;
        for (double v : loo) ss += (v - mean) * (v - mean);
        return new Estimate(full, Math.sqrt(ss * (m - 1.0) / m), m);
    }

    /** {@code (xᵀy / d + 1)³}. */
    static double kernel(float[] x, float[] y) {
        double dot = 0;
        for (int i = 0; i < x.length; i++) dot += (double) x[i] * y[i];
        double b = dot / x.length + 1;
        return b * b * b;
    }
}
