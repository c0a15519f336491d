package org.cd4j.nn;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * One-time libtorch set-up: loads the native libraries, keeps OpenBLAS single-threaded (libtorch
 * parallelises around it), and applies the thread count from {@code CD4J_THREADS} (or the
 * {@code cd4j.threads} property), defaulting to every core.
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
            // libtorch runs its own intra-op threads (OpenMP). OpenBLAS, which it calls for fp32
            // matrix products, would start a second pool of busy-waiting threads; on a few cores the
            // two pools fight and every small op waits (measured: 10x slower tiny-model forward,
            // 1.9x slower SD-1.5 forward). One BLAS thread per call inside libtorch's pool is fastest.
            org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(1);
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
