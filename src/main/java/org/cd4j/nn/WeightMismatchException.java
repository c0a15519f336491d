package org.cd4j.nn;

/** A state dict that does not fit a model: missing, unexpected or mis-shaped weights. */
public class WeightMismatchException extends IllegalArgumentException {
    public WeightMismatchException(String message) {
        super(message);
    }
}
