package org.cd4j.concept;

import java.nio.file.Path;

/** What a training run reports as it goes: to the terminal, the metrics file and the web app. */
public interface TrainListener {
    /** A human-readable status line (preparation, checkpoints, warnings). */
    default void log(String message) { }

    /** One optimiser step finished ({@code step} of {@code total}, 1-based). */
    default void step(int step, int total, double loss, double lr, double seconds, boolean skipped) { }

    /** A validation image was written. */
    default void validationImage(int step, Path image) { }

    /** A checkpoint was written. */
    default void checkpoint(int step, Path dir) { }

    /** Ignores everything. */
    TrainListener NONE = new TrainListener() { };
}
