package org.cd4j.pretrain;

/**
 * Independent seeds from coordinates (run seed, stage, step, ...): every draw of a pretraining
 * step comes from a generator seeded by its coordinates, so a resumed run draws exactly what an
 * uninterrupted one would.
 */
final class Seeds {
    private Seeds() {}

    static long of(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h ^= p + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
            h = mix(h);
        }
        return h & Long.MAX_VALUE; // libtorch seeds are reported as unsigned; keep them positive
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
