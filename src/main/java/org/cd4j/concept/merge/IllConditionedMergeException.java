package org.cd4j.concept.merge;

/**
 * The merge's linear system cannot be solved reliably (too few or degenerate regularisation
 * features, near-duplicate concepts); raised instead of returning NaN or noise weights.
 */
public final class IllConditionedMergeException extends IllegalArgumentException {
    public IllConditionedMergeException(String message) {
        super(message);
    }
}
