package org.cd4j.world;

import java.util.SplittableRandom;

/** Independent random streams from (seed, index) pairs, the same on every JVM. */
final class Seeds {
    private Seeds() {}

    /** A well-mixed 64-bit value of two longs (the SplitMix64 finaliser over a combined state). */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        // a second round so that nearby (a, b) pairs land far apart
        z = (z + 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static SplittableRandom random(long a, long b) {
        return new SplittableRandom(mix(a, b));
    }
}
