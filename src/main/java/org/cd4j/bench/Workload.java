package org.cd4j.bench;

import org.bytedeco.javacpp.PointerScope;
import org.cd4j.nn.Device;

/**
 * A benchmark's work, set up and ready to run: its label, its analytic work and one pass (a
 * UNet forward, a training step, a VAE decode). {@link #time} times repeated passes;
 * {@link #memory} measures the peak resident memory of a single one.
 *
 * @param gflop work of one pass in GFLOP, or 0 where it is not counted
 */
public record Workload(BenchLabel label, Device device, double gflop, Runnable pass) {
    /** The median of {@code repeats} timed passes after {@code warmup} untimed ones. */
    public BenchResult time(int warmup, int repeats, double peakGflops) {
        double[] secs = Repeats.time(device, warmup, repeats, pass);
        return new BenchResult(label, secs, gflop, peakGflops, Rss.peakBytes() / (double) (1L << 30));
    }

    /**
     * One pass, its peak resident memory measured from the resident size just before it (the
     * model and inputs already loaded; the high-water mark reset there where Linux allows it).
     * Host memory only: on a GPU the device's memory is not counted.
     */
    public MemoryResult memory() {
        System.gc(); // native memory of earlier garbage handles, freed now rather than during the pass
        try (PointerScope scope = new PointerScope()) {
            boolean reset = Rss.resetPeak();
            long before = Rss.currentBytes(); // after the reset: the high-water mark is at least this
            pass.run();
            // the kernel folds each thread's cached RSS counts into VmHWM only now and then, so a pass that
            // grows nothing can read a mark a few hundred KiB under the VmRSS read before it: at least that
            long peak = Math.max(Rss.peakBytes(), Math.max(before, Rss.currentBytes()));
            return new MemoryResult(label, before, peak, reset);
        }
    }
}
