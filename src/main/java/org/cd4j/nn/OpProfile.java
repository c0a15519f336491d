package org.cd4j.nn;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall time and work of the heavy kernels of a pass, grouped by kernel and shape, for
 * {@code cd4j bench --breakdown}: which convolutions, matrix products and attentions the time goes
 * to and how close each runs to the machine's peak. Off unless a profile is {@link #start started};
 * the layers then pay one volatile read per call. On the CPU kernels run synchronously, so each
 * call's wall time is its kernel's; on a GPU launches are asynchronous and the figures would be
 * meaningless, so the benchmark refuses them there.
 */
public final class OpProfile {
    private static volatile OpProfile active;

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private int passes;

    /**
     * One kernel at one shape.
     *
     * @param op    kernel kind: {@code conv3x3}, {@code conv1x1/s2} …, {@code linear}, {@code attention}, {@code group_norm}, {@code layer_norm}
     * @param shape its shape in words, e.g. {@code 1280->1280 8x8} or {@code T1024 S77 h8 d40}
     * @param calls how many times it ran
     * @param flop  its floating-point operations in all (0 for normalisations, which are not counted)
     * @param nanos its wall time in all
     */
    public record Entry(String op, String shape, long calls, double flop, long nanos) {
        Entry plus(double f, long n) {
            return new Entry(op, shape, calls + 1, flop + f, nanos + n);
        }
    }

    private OpProfile() {}

    /** Starts recording every kernel call from now on, on any thread; replaces a profile already running. */
    public static OpProfile start() {
        OpProfile p = new OpProfile();
        active = p;
        return p;
    }

    /** Stops recording; the profile keeps what it recorded. */
    public void stop() {
        if (active == this) active = null;
    }

    /** Counts one whole pass, so {@link #perPass} can divide by the number of passes. */
    public synchronized void passDone() {
        passes++;
    }

    /** The start time of a call to be recorded, or 0 when no profile is running. */
    public static long begin() {
        return active == null ? 0L : System.nanoTime();
    }

    /** Records a call that began at {@code t0} (from {@link #begin}); a no-op when none was running then. */
    public static void end(long t0, String op, String shape, double flop) {
        OpProfile p = active;
        if (p == null || t0 == 0L) return;
        long n = System.nanoTime() - t0;
        synchronized (p) {
            p.entries.merge(op + " " + shape, new Entry(op, shape, 1, flop, n), (a, b) -> a.plus(b.flop(), b.nanos()));
        }
    }

    /** Entries averaged over the passes counted by {@link #passDone} (at least one), most time first. */
    public synchronized List<Entry> perPass() {
        int n = Math.max(1, passes);
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) out.add(new Entry(e.op(), e.shape(), e.calls() / n, e.flop() / n, e.nanos() / n));
        out.sort(Comparator.comparingLong(Entry::nanos).reversed());
        return out;
    }

    /** {@code "1280->1280 8x8"}: channels in and out and the output's spatial size. */
    static String convShape(long in, long out, long h, long w) {
        return in + "->" + out + " " + h + "x" + w;
    }
}
