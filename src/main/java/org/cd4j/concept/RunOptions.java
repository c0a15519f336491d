package org.cd4j.concept;

/**
 * How a training run executes, as opposed to what it computes ({@link TrainConfig}): none of
 * these choices changes the result, so they are not part of {@code config.json} nor of the
 * settings a resumed run must repeat.
 *
 * @param reuse reuse what does not change between steps: the states of captions without a
 *     modifier token and the VAE moments of pictures with fixed crops (in memory, and for class
 *     pictures on disk beside them, see {@link LatentCache}); the results are the same bit for
 *     bit, only faster
 */
public record RunOptions(boolean reuse) {
    /** Reuse on. */
    public static final RunOptions DEFAULT = new RunOptions(true);
}
