package org.cd4j.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One memory measurement, printed as one JSON line: the label ({@link BenchLabel}),
 * {@code "measure": "memory"}, the resident size before the pass ({@code rss_before_gib}: model
 * and inputs), the peak during it ({@code peak_rss_gib}), their difference ({@code pass_gib}: what
 * the pass itself needed), whether the peak was reset before the pass ({@code peak_reset}; if
 * not, the peak may be the loading's), and the machine. No timing: a single pass.
 */
public record MemoryResult(BenchLabel label, long rssBeforeBytes, long peakBytes, boolean peakReset) {
    private static final double GIB = 1L << 30;

    /** The pass's own peak: peak minus the resident size before it. */
    public double passGib() {
        return (peakBytes - rssBeforeBytes) / GIB;
    }

    public String toJson() {
        ObjectNode o = label.start();
        o.put("measure", "memory");
        o.put("rss_before_gib", BenchResult.significant(rssBeforeBytes / GIB));
        o.put("peak_rss_gib", BenchResult.significant(peakBytes / GIB));
        o.put("pass_gib", BenchResult.significant(passGib()));
        o.put("peak_reset", peakReset);
        return BenchLabel.finish(o);
    }
}
