package org.cd4j.pipeline;

/** Receives progress of a long operation (sampling steps, training steps) for bars, logs and the web UI. */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param done    steps completed
     * @param total   steps in all
     * @param seconds wall time since the operation started
     */
    void onStep(int done, int total, double seconds);

    /** A listener that ignores everything. */
    ProgressListener NONE = (d, t, s) -> { };
}
