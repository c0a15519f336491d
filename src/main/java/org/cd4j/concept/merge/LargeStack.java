package org.cd4j.concept.merge;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs dense linear algebra on a thread with a large stack. The OpenBLAS bundled with the JavaCPP
 * libtorch presets puts its multi-threaded LAPACK work arrays on the calling thread's stack: an LU
 * factorisation ({@code linalg_solve}, {@code linalg_inv}) of a 200×200 double matrix already
 * overflows a JVM thread's default 1 MB stack and kills the process with SIGSEGV (seen with
 * libtorch 2.10 / OpenBLAS 0.3.31 on 2 cores). The merge uses Cholesky, which did not crash, but
 * runs here anyway so that larger dimensions or more cores cannot take the JVM down.
 */
final class LargeStack {
    /** Stack size requested for the worker (address space only; pages are touched on demand). */
    static final long STACK_BYTES = 512L << 20;

    private LargeStack() {}

    /** {@code task.call()} on a fresh large-stack thread; its exceptions are rethrown here. */
    static <T> T call(Callable<T> task) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "cd4j-linalg", STACK_BYTES);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while solving the merge", e);
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof Error err) throw err;
        if (e != null) throw new IllegalStateException(e);
        return result.get();
    }
}
