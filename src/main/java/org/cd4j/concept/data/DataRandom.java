package org.cd4j.concept.data;

/**
 * The small, fixed random generator behind every data choice (instance shuffle, epoch order,
 * flips, zoom scales, crop offsets, caption prefixes).
 *
 * <p>Why not {@code java.util.Random} or libtorch's generator: each sample's randomness must be a
 * pure function of {@code (seed, epoch, index)} so that {@code batch(step)} can be computed
 * without replaying earlier steps and a resumed run sees exactly the samples an uninterrupted
 * run sees. So every stream is created from a hash of those coordinates ({@link #of}), and the
 * algorithm (SplitMix64, Steele et al. 2014) is spelled out here rather than borrowed from a JDK
 * class whose algorithm could change. Changing anything in this file changes every run's data.
 */
public final class DataRandom {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;

    private DataRandom(long state) {
        this.state = state;
    }

    /** A stream identified by its coordinates, e.g. {@code of(seed, TAG, epoch, index)}. */
    public static DataRandom of(long... coordinates) {
        return new DataRandom(hash(coordinates));
    }

    /** A well-mixed 64-bit hash of a sequence of longs (order matters). */
    public static long hash(long... parts) {
        long h = 0x5DEECE66DL;
        for (long p : parts) {
            h = mix64(h ^ mix64(p + GOLDEN));
            h += GOLDEN;
        }
        return mix64(h);
    }

    /** SplitMix64's finaliser (David Stafford's variant 13). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long nextLong() {
        state += GOLDEN;
        return mix64(state);
    }

    /** Uniform in [0, 1) with 53 random bits, like numpy's {@code uniform()}. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** A fair coin. */
    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    /**
     * Uniform integer in {@code [low, high)} — numpy's {@code randint(low, high)}, high exclusive.
     * Unbiased: draws are rejected in the last partial range.
     */
    public int nextInt(int low, int high) {
        if (high <= low) throw new IllegalArgumentException("empty range [" + low + ", " + high + ")");
        long range = (long) high - low;
        long limit = Long.remainderUnsigned(-1L, range); // (2^64 - 1) mod range
        while (true) {
            long bits = nextLong();
            // accept unless bits falls in the incomplete final block of the unsigned range
            if (Long.compareUnsigned(bits, -1L - limit) < 0 || limit == range - 1) {
                return (int) (low + Long.remainderUnsigned(bits, range));
            }
        }
    }

    /** Fisher–Yates shuffle of {@code a} in place. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(0, i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The identity permutation of {@code n}, shuffled. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p);
        return p;
    }
}
