package org.cd4j.pretrain;

/**
 * The pattern-focus phase of the diffusion stage: steps that follow the cosine cycles and teach
 * the words the model learns last, the painted pattern and its colour. Those decide fine detail
 * that is gone from the latents at mid noise levels while the object's shape and colour remain,
 * so that is where the caption must supply them; uniform timesteps spend most steps elsewhere,
 * and captions that leave the pattern unnamed give its words nothing to do. The phase therefore
 * draws a share of timesteps from a middle range, names the pattern of most patterned scenes,
 * and draws from a larger set of pictures, so the many pattern × colour combinations are seen.
 *
 * @param steps        steps of the phase (0: none); one cosine cycle with {@link #WARMUP} warm-up steps
 * @param lr           its peak learning rate
 * @param datasetSize  pictures encoded for the phase (the first are the main stage's)
 * @param patternShare chance that a patterned scene's caption which left its pattern out names it after all
 * @param midShare     share of timesteps drawn from [{@code midFrom}, {@code midTo}) instead of all of them
 * @param midFrom      first timestep of the middle range
 * @param midTo        end (exclusive) of the middle range
 */
public record FocusConfig(int steps, double lr, int datasetSize, double patternShare, double midShare,
                          int midFrom, int midTo) {
    /** Warm-up steps of the phase's learning rate (fewer when the phase is shorter than ten times this). */
    public static final int WARMUP = 100;

    public FocusConfig {
        if (steps < 0) throw new IllegalArgumentException("--focus-steps must be >= 0, got " + steps);
        if (!(lr > 0)) throw new IllegalArgumentException("--focus-learning-rate must be positive, got " + lr);
        if (datasetSize <= 0) throw new IllegalArgumentException("--focus-dataset-size must be positive, got " + datasetSize);
        share("--focus-pattern-share", patternShare);
        share("--focus-mid-share", midShare);
        if (midFrom < 0 || midTo <= midFrom)
            throw new IllegalArgumentException("--focus-mid-timesteps must be FROM:TO with 0 <= FROM < TO, got " + midFrom + ":" + midTo);
    }

    /** The phase's warm-up: {@link #WARMUP} steps, at most a tenth of the phase. */
    int warmup() {
        return Math.min(WARMUP, steps / 10);
    }

    private static void share(String flag, double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(flag + " must be in [0, 1], got " + v);
    }

    /** The phase of the shipped mini model. */
    public static FocusConfig defaults() {
        return new FocusConfig(4000, 4e-4, 24000, 0.9, 0.5, 150, 650);
    }
}
