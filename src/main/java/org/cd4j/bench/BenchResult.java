package org.cd4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;

/**
 * One benchmark measurement, printed as one JSON line:
 * {@code {"what", "arch", "latent", "median_s", "gflops_per_s", "peak_rss_gib", ...}}.
 */
public record BenchResult(String what, String arch, int latent, int batch, String dtype, int threads,
                          double[] seconds, double gflop, double peakRssGib) {
    public double medianSeconds() {
        double[] s = seconds.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    public String toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("what", what);
        o.put("arch", arch);
        o.put("latent", latent);
        o.put("median_s", round(medianSeconds(), 4));
        o.put("gflops_per_s", round(gflop / medianSeconds(), 1));
        o.put("peak_rss_gib", round(peakRssGib, 2));
        o.put("batch", batch);
        o.put("dtype", dtype);
        o.put("threads", threads);
        o.put("gflop", round(gflop, 1));
        o.put("repeats", seconds.length);
        o.put("min_s", round(Arrays.stream(seconds).min().orElse(0), 4));
        o.put("max_s", round(Arrays.stream(seconds).max().orElse(0), 4));
        try {
            return m.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
