package org.cd4j.concept.compress;

import java.util.Locale;

/**
 * How many singular triplets of {@code ΔW = W − W0} a compressed delta keeps, given the singular
 * values in decreasing order. Three criteria:
 * <ul>
 *   <li>{@link Ratio}: the reference's rule ({@code src/compress.py}, reference §1.8) on the
 *       nuclear-norm share {@code S_i / ΣS};</li>
 *   <li>{@link FixedRank}: the same rank for every matrix;</li>
 *   <li>{@link Energy}: the smallest rank keeping a fraction of {@code ΣS²}, i.e. a bound on the
 *       relative Frobenius error ({@code sqrt(1 − f)}), which the reference lacks.</li>
 * </ul>
 */
public sealed interface RankCriterion permits RankCriterion.Ratio, RankCriterion.FixedRank, RankCriterion.Energy {
    /** The reference's default ratio (a function default of {@code compress()}, not a CLI flag there). */
    double DEFAULT_RATIO = 0.6;

    /**
     * The rank to keep.
     *
     * @param s       singular values of one matrix, decreasing, non-negative; {@code s.length = min(out, in)}
     * @param matrix  the parameter name, for messages
     * @return a rank in {@code [0, s.length]}
     * @throws IllegalArgumentException when the criterion cannot be met by this matrix (a fixed rank above {@code min(out, in)})
     */
    int select(double[] s, String matrix);

    /** The criterion as the command-line flag that asks for it, e.g. {@code --ratio 0.6}. */
    String describe();

    /**
     * The reference's rule: walk the singular values accumulating {@code S_i / ΣS}; at the first
     * {@code i} where the running sum exceeds {@code ratio}, keep the {@code i} triplets before it
     * (the crossing one is excluded). When the first value alone exceeds the ratio the reference
     * keeps nothing (rank 0, the layer's whole change is dropped); with {@code allowZero} false —
     * the default — cd4j keeps that one dominant triplet instead. A zero matrix keeps rank 0.
     *
     * @param ratio     in (0, 1)
     * @param allowZero reproduce the reference's rank 0 (used for bit-level parity only)
     */
    record Ratio(double ratio, boolean allowZero) implements RankCriterion {
        public Ratio {
            if (!(ratio > 0 && ratio < 1)) throw new IllegalArgumentException("--ratio must lie in (0, 1), got " + ratio);
        }

        public Ratio(double ratio) {
            this(ratio, false);
        }

        @Override
        public int select(double[] s, String matrix) {
            double all = 0;
            for (double v : s) all += v;
            if (all == 0) return 0;
            double explain = 0;
            for (int i = 0; i < s.length; i++) {
                explain += s[i] / all;
                if (explain > ratio) return i == 0 && !allowZero ? 1 : i;
            }
            // Rounding kept the running sum at or below the ratio: Python's loop leaves i at the last index.
            return Math.max(s.length - 1, allowZero ? 0 : Math.min(1, s.length));
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "--ratio %s (reference rule: share of the sum of singular values)", fmt(ratio));
        }
    }

    /** The same rank {@code r} for every matrix; more than {@code min(out, in)} is an error. */
    record FixedRank(int rank) implements RankCriterion {
        public FixedRank {
            if (rank < 1) throw new IllegalArgumentException("--rank must be at least 1, got " + rank);
        }

        @Override
        public int select(double[] s, String matrix) {
            if (rank > s.length) {
                throw new IllegalArgumentException("--rank " + rank + " is larger than " + matrix + " allows: a matrix"
                        + " of that shape has rank at most " + s.length + " (min of its two dimensions)");
            }
            return rank;
        }

        @Override
        public String describe() {
            return "--rank " + rank;
        }
    }

    /**
     * The smallest {@code r} with {@code Σ_{i<r} S_i² ≥ fraction·ΣS²}: the truncation error is then
     * at most {@code sqrt(1 − fraction)·‖ΔW‖_F} (Eckart–Young).
     *
     * @param fraction in (0, 1]
     */
    record Energy(double fraction) implements RankCriterion {
        public Energy {
            if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("--energy must lie in (0, 1], got " + fraction);
        }

        @Override
        public int select(double[] s, String matrix) {
            double total = 0;
            for (double v : s) total += v * v;
            if (total == 0) return 0;
            double kept = 0;
            for (int r = 0; r < s.length; r++) {
                kept += s[r] * s[r];
                // A relative slack of 1e-12 so that fraction 1 is met despite rounding of the sums.
                if (kept >= fraction * total * (1 - 1e-12)) return r + 1;
            }
            return s.length;
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "--energy %s (share of the sum of squared singular values)", fmt(fraction));
        }
    }

    private static String fmt(double v) {
        String s = Double.toString(v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
