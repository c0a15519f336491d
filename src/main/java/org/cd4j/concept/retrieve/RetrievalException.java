package org.cd4j.concept.retrieve;

import java.io.IOException;

/**
 * A retrieval failed for a reason outside the user's flags: the service refused or timed out,
 * answered something that is not a knn-service result, or no picture could be obtained. The
 * message names the service or folder and says what happened.
 */
public final class RetrievalException extends IOException {
    public RetrievalException(String message) {
        super(message);
    }

    public RetrievalException(String message, Throwable cause) {
        super(message, cause);
    }
}
