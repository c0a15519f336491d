package org.cd4j.concept.retrieve;

import java.io.IOException;

/**
 * One fetch failed. {@link #reason} is a short, countable description ("HTTP 404", "timed out",
 * "larger than 26214400 bytes", "not a picture") for the summary of a run; {@link #transientFailure}
 * says whether trying again may help.
 */
public final class FetchFailure extends IOException {
    private final String reason;
    private final boolean transientFailure;

    public FetchFailure(String reason, boolean transientFailure, String detail) {
        super(detail == null ? reason : reason + ": " + detail);
        this.reason = reason;
        this.transientFailure = transientFailure;
    }

    /** What went wrong, short enough to count by ("HTTP 404"). */
    public String reason() {
        return reason;
    }

    /** Whether a retry may succeed (time-outs, refused connections, 429, 5xx). */
    public boolean transientFailure() {
        return transientFailure;
    }
}
