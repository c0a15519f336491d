package org.cd4j.nn;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * One-time libtorch set-up: loads the native libraries and applies the thread count from
 * {@code CD4J_THREADS} (or the {@code cd4j.threads} property), defaulting to every core.
 */
public final class Torch {
    private static volatile boolean done;

    private Torch() {}

    /** Loads libtorch once; safe to call from anywhere. */
    public static void init() {
        if (done) return;
        synchronized (Torch.class) {
            if (done) return;
            Loader.load(torch.class);
            String threads = System.getProperty("cd4j.threads", System.getenv("CD4J_THREADS"));
            if (threads != null && !threads.isBlank()) {
                setThreads(Integer.parseInt(threads.trim()));
            }
            done = true;
        }
    }

    /** Sets libtorch's intra-op thread count. */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        torch.set_num_threads(n);
    }

    /** libtorch's intra-op thread count. */
    public static int threads() {
        init();
        return torch.get_num_threads();
    }
}
