package org.cd4j.judge;

import java.util.List;
import java.util.Locale;

/**
 * A mean over pictures with its standard error ({@code s / √n}, {@code s} the sample standard
 * deviation): how far the mean would move with other samples of the same model.
 *
 * @param mean          the mean of the per-picture scores
 * @param standardError {@code s / √n}; NaN for a single picture
 * @param n             the number of pictures
 */
public record Estimate(double mean, double standardError, int n) {
    /** The estimate of {@code scores} (at least one). */
    public static Estimate of(List<Double> scores) {
        if (scores.isEmpty()) throw new IllegalArgumentException("no pictures to score");
        int n = scores.size();
        double sum = 0;
        for (double s : scores) sum += s;
        double mean = sum / n;
        if (n == 1) return new Estimate(mean, Double.NaN, 1);
        double ss = 0;
        for (double s : scores) ss += (s - mean) * (s - mean);
        return new Estimate(mean, Math.sqrt(ss / (n - 1) / n), n);
    }

    /** "0.812 ± 0.031 (n=16)". */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.3f ± %.3f (n=%d)", mean, standardError, n);
    }
}
