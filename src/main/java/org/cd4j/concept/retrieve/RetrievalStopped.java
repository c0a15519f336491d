package org.cd4j.concept.retrieve;

/** A retrieval ended early because its {@link RetrievalListener} asked it to; nothing was written. */
public final class RetrievalStopped extends RuntimeException {
    public RetrievalStopped() {
        super("retrieval stopped on request", null, false, false);
    }
}
