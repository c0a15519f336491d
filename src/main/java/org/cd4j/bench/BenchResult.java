package org.cd4j.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;

/**
 * One timing measurement, printed as one JSON line: what was timed and how ({@link BenchLabel}),
 * the median of the timed repeats and their spread, the analytic work ({@code gflop}) and speed
 * ({@code gflops_per_s}), the share of the machine's measured matrix-product peak for that dtype
 * where a peak is known, the process's peak resident memory, and the machine ({@link Machine}).
 *
 * @param seconds the timed repeats
 * @param gflop work of one repeat in GFLOP, or 0 where it is not counted
 * @param peakGflops the machine's matrix-product peak for the label's dtype, or NaN when unknown
 */
public record BenchResult(BenchLabel label, double[] seconds, double gflop, double peakGflops, double peakRssGib) {
    public double medianSeconds() {
        return median(seconds);
    }

    /** The median of {@code v} (mean of the middle two for an even count). */
    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Achieved GFLOP/s, or NaN when the work is not counted. */
    public double gflopsPerSecond() {
        return gflop > 0 ? gflop / medianSeconds() : Double.NaN;
    }

    public String toJson() {
        ObjectNode o = label.start();
        o.put("median_s", significant(medianSeconds()));
        o.put("min_s", significant(Arrays.stream(seconds).min().orElse(0)));
        o.put("max_s", significant(Arrays.stream(seconds).max().orElse(0)));
        o.put("repeats", seconds.length);
        if (gflop > 0) {
            o.put("gflop", significant(gflop));
            o.put("gflops_per_s", significant(gflopsPerSecond()));
            if (Double.isFinite(peakGflops) && peakGflops > 0) {
                o.put("peak_gflops_per_s", significant(peakGflops));
                o.put("share_of_peak", significant(gflopsPerSecond() / peakGflops));
            }
        }
        o.put("peak_rss_gib", significant(peakRssGib));
        return BenchLabel.finish(o);
    }

    /** Five significant digits: enough for any timing, short for people, whatever the magnitude. */
    static double significant(double v) {
        if (v == 0 || !Double.isFinite(v)) return v;
        return new java.math.BigDecimal(v).round(new java.math.MathContext(5)).doubleValue();
    }
}
