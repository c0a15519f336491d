package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Persistent helper threads that each run one part of a split matrix product on single-threaded
 * BLAS, while the calling thread runs the last part (see {@link SplitGemm}).
 *
 * <p>Why threads of our own: libtorch's float32 products call OpenBLAS, which {@link Torch} keeps
 * single-threaded because OpenBLAS's own busy-waiting pool fights libtorch's OpenMP pool. A product
 * cut into row blocks, one per core, uses every core without a second pool: the helpers are idle
 * (parked) whenever libtorch's own parallel kernels run.
 *
 * <p>Each helper sets its own libtorch thread count to 1, so nothing it runs opens an OpenMP team of
 * its own. libtorch also takes that count as the default for threads it meets later, so the creator
 * sets its own count again afterwards. Only one caller uses the helpers at a time; a second
 * concurrent caller is refused ({@link #tryAcquire}) and computes unsplit.
 */
final class GemmWorkers {
    /** Spins before a helper parks: about 10 µs, short enough not to slow the kernels that run between products. */
    private static final int SPINS = 200;

    private static final List<Helper> HELPERS = new ArrayList<>();
    private static final ReentrantLock IN_USE = new ReentrantLock();

    private GemmWorkers() {}

    /**
     * Takes the helpers for one product split into {@code parts} (helpers = parts − 1), starting
     * them on first use; false when another thread holds them. Release with {@link #release}.
     */
    static boolean tryAcquire(int parts) {
        if (!IN_USE.tryLock()) return false;
        try {
            if (HELPERS.size() < parts - 1) grow(parts - 1);
        } catch (RuntimeException | Error e) {
            IN_USE.unlock(); // a helper that could not start must not leave the helpers taken
            throw e;
        }
        return true;
    }

    static void release() {
        IN_USE.unlock();
    }

    /**
     * Runs {@code parts[0..n-2]} on helpers and {@code parts[n-1]} on the caller, and returns when
     * all are done; the first failure is rethrown. Requires {@link #tryAcquire}.
     */
    static void run(Runnable[] parts) {
        int helpers = parts.length - 1;
        for (int i = 0; i < helpers; i++) HELPERS.get(i).submit(parts[i]);
        Throwable failure = null;
        try {
            parts[helpers].run();
        } catch (Throwable t) {
            failure = t;
        }
        for (int i = 0; i < helpers; i++) {
            Throwable t = HELPERS.get(i).await();
            if (failure == null) failure = t;
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new IllegalStateException(failure);
    }

    private static void grow(int count) {
        int threads = torch.get_num_threads();
        while (HELPERS.size() < count) {
            Helper h = new Helper(HELPERS.size());
            h.start();
            h.awaitStarted();
            HELPERS.add(h);
        }
        // the helpers' set_num_threads(1) lowered libtorch's default for threads it meets later: restore it
        torch.set_num_threads(threads);
    }

    private static final class Helper extends Thread {
        private volatile Runnable job;
        private volatile boolean busy;
        private volatile boolean started;
        private volatile Throwable failure;
        private volatile Thread waiter;

        Helper(int index) {
            super("cd4j-gemm-" + index);
            setDaemon(true);
        }

        void submit(Runnable r) {
            failure = null;
            busy = true;
            job = r;
            LockSupport.unpark(this);
        }

        /** Waits for the submitted part; returns its failure or null. */
        Throwable await() {
            // the parts are equal, so the helper usually finishes within microseconds of the caller:
            // spin first, and only then poll in 50 µs sleeps (a preempted helper can take longer)
            int spins = 0;
            while (busy) {
                if (++spins < 1 << 16) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (busy) LockSupport.parkNanos(50_000);
                }
            }
            waiter = null;
            return failure;
        }

        void awaitStarted() {
            while (!started) Thread.onSpinWait();
        }

        @Override
        public void run() {
            Torch.init();
            torch.set_num_threads(1); // this thread's own OpenMP teams: none (see the class comment)
            started = true;
            try (NoGradGuard g = new NoGradGuard()) {
                while (true) {
                    Runnable r;
                    int spins = 0;
                    while ((r = job) == null) {
                        if (++spins < SPINS) Thread.onSpinWait();
                        else LockSupport.park(this);
                    }
                    job = null;
                    try (PointerScope scope = new PointerScope()) {
                        r.run();
                    } catch (Throwable t) {
                        failure = t;
                    }
                    busy = false;
                    Thread w = waiter;
                    if (w != null) LockSupport.unpark(w);
                }
            }
        }
    }
}
