package org.cd4j.concept.compress;

import java.util.List;
import java.util.Locale;

/**
 * Per-layer and total figures of one compression: ranks kept, relative Frobenius errors and
 * stored sizes against the uncompressed delta (weights only; token rows are the same in both).
 *
 * @param criterion the rank criterion, as its flag ({@link RankCriterion#describe()})
 * @param layers    one entry per weight, in the delta's order
 */
public record CompressionReport(String criterion, List<LayerCompression> layers) {
    public CompressionReport {
        layers = List.copyOf(layers);
    }

    /** Elements stored for all weights. */
    public long storedParams() {
        return layers.stream().mapToLong(LayerCompression::storedParams).sum();
    }

    /** Elements of all weights uncompressed. */
    public long fullParams() {
        return layers.stream().mapToLong(LayerCompression::fullParams).sum();
    }

    /** {@link #storedParams()} in float32 bytes. */
    public long storedBytes() {
        return storedParams() * Float.BYTES;
    }

    /** {@link #fullParams()} in float32 bytes. */
    public long fullBytes() {
        return fullParams() * Float.BYTES;
    }

    /**
     * The relative Frobenius error over all factorised weights together:
     * {@code sqrt(Σ‖ΔW − uv‖²) / sqrt(Σ‖ΔW‖²)}, so large changes weigh more.
     */
    public double totalRelativeError() {
        double err = 0, all = 0;
        for (LayerCompression l : layers) {
            if (l.copied()) continue;
            err += Math.pow(l.relativeError() * l.changeNorm(), 2);
            all += l.changeNorm() * l.changeNorm();
        }
        return all == 0 ? 0 : Math.sqrt(err / all);
    }

    /** The largest per-layer relative error. */
    public double maxRelativeError() {
        return layers.stream().mapToDouble(LayerCompression::relativeError).max().orElse(0);
    }

    /** The table {@code cd4j compress} prints: one line per weight, then the totals. */
    public String table() {
        StringBuilder b = new StringBuilder();
        int w = layers.stream().mapToInt(l -> l.name().length()).max().orElse(10);
        b.append(String.format(Locale.ROOT, "%-" + w + "s %13s %9s %11s %11s %11s%n", "weight", "shape", "rank", "rel.error",
                "stored", "full"));
        for (LayerCompression l : layers) {
            String rank = l.copied() ? "copied" : l.rank() + "/" + l.maxRank();
            b.append(String.format(Locale.ROOT, "%-" + w + "s %13s %9s %11.3e %11d %11d%n", l.name(),
                    l.cols() > 0 ? l.rows() + "x" + l.cols() : Long.toString(l.rows()), rank, l.relativeError(),
                    l.storedParams(), l.fullParams()));
        }
        b.append(String.format(Locale.ROOT, "total: %d weight(s), stored %d parameters (%s) vs %d (%s) uncompressed,"
                        + " %.1f%% of the size (%.1fx smaller); relative error %.3e overall, %.3e at most%n",
                layers.size(), storedParams(), bytes(storedBytes()), fullParams(), bytes(fullBytes()),
                100.0 * storedParams() / Math.max(1, fullParams()), fullParams() / (double) Math.max(1, storedParams()),
                totalRelativeError(), maxRelativeError()));
        return b.toString();
    }

    /** A byte count in B, KB, MB or GB (powers of 1000, as file managers show them). */
    public static String bytes(long n) {
        if (n < 1000) return n + " B";
        if (n < 1_000_000) return String.format(Locale.ROOT, "%.1f KB", n / 1e3);
        if (n < 1_000_000_000) return String.format(Locale.ROOT, "%.2f MB", n / 1e6);
        return String.format(Locale.ROOT, "%.2f GB", n / 1e9);
    }
}
