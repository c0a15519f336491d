package org.cd4j.bench;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.Device;

/** The timing loop every benchmark shares: untimed warm-up runs, then timed ones, each in its own memory scope. */
final class Repeats {
    private Repeats() {}

    /**
     * Seconds of each of {@code repeats} runs of {@code body} after {@code warmup} untimed ones.
     * On a GPU, whose kernels run asynchronously, each run ends with a synchronisation so the
     * time is the device's, not the launch's.
     */
    static double[] time(Device device, int warmup, int repeats, Runnable body) {
        double[] secs = new double[repeats];
        for (int i = -warmup; i < repeats; i++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                body.run();
                if (!device.isCpu()) torch.cuda_synchronize();
                double dt = (System.nanoTime() - t0) / 1e9;
                if (i >= 0) secs[i] = dt;
            }
        }
        return secs;
    }
}
