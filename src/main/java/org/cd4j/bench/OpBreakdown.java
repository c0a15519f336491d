package org.cd4j.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.nn.OpProfile;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one pass's time goes, kernel by kernel: {@code cd4j bench unet --breakdown} times
 * {@code repeats} more passes with {@link OpProfile} on and prints one JSON line per kernel and
 * shape (calls, GFLOP, milliseconds and GFLOP/s per pass, share of the pass and of the peak),
 * then a line for the rest (element-wise work, copies, the Java side) so the lines add up to the
 * pass. The per-kernel speeds say which kernels keep the pass from the machine's peak.
 */
public final class OpBreakdown {
    private OpBreakdown() {}

    /**
     * Profiles {@code repeats} passes of {@code w} (after they have been warmed up by the timed
     * run) and returns the JSON lines, most time first.
     *
     * @param peakGflops the matrix-product peak for the shares, or NaN to leave them out
     */
    public static List<String> run(Workload w, int repeats, double peakGflops) {
        OpProfile profile = OpProfile.start();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < repeats; i++) {
                w.pass().run();
                profile.passDone();
            }
        } finally {
            profile.stop();
        }
        double passMs = (System.nanoTime() - t0) / 1e6 / repeats;
        List<String> lines = new ArrayList<>();
        double kernelsMs = 0;
        for (OpProfile.Entry e : profile.perPass()) {
            double ms = e.nanos() / 1e6;
            kernelsMs += ms;
            ObjectNode o = w.label().withWhat(w.label().what() + "_op").start();
            o.put("op", e.op());
            o.put("shape", e.shape());
            o.put("calls", e.calls());
            o.put("ms", BenchResult.significant(ms));
            o.put("share_of_pass", BenchResult.significant(ms / passMs));
            if (e.flop() > 0) {
                double gflops = e.flop() / 1e9 / (ms / 1e3);
                o.put("gflop", BenchResult.significant(e.flop() / 1e9));
                o.put("gflops_per_s", BenchResult.significant(gflops));
                if (Double.isFinite(peakGflops) && peakGflops > 0) o.put("share_of_peak", BenchResult.significant(gflops / peakGflops));
            }
            lines.add(BenchLabel.finish(o));
        }
        ObjectNode rest = w.label().withWhat(w.label().what() + "_op").start();
        rest.put("op", "rest");
        rest.put("ms", BenchResult.significant(passMs - kernelsMs));
        rest.put("share_of_pass", BenchResult.significant((passMs - kernelsMs) / passMs));
        rest.put("pass_ms", BenchResult.significant(passMs));
        lines.add(BenchLabel.finish(rest));
        return lines;
    }
}
