package org.cd4j.pretrain;

/** What a pretraining run reports while it works (the CLI prints it; tests may ignore it). */
public interface PretrainListener {
    /** A step finished: stage name, steps done and total, the step's loss, mean seconds per step so far. */
    void step(String stage, int done, int total, double loss, double secondsPerStep);

    /** A one-line message (stage start, resume, file written). */
    void message(String text);

    /** Ignores everything. */
    PretrainListener SILENT = new PretrainListener() {
        @Override
        public void step(String stage, int done, int total, double loss, double secondsPerStep) {}

        @Override
        public void message(String text) {}
    };
}
