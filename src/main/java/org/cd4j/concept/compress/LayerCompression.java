package org.cd4j.concept.compress;

/**
 * What compressing one weight did.
 *
 * @param name          the diffusers parameter name
 * @param rows          output width of the weight
 * @param cols          input width of the weight
 * @param rank          the rank kept; -1 for a weight copied uncompressed (a {@code to_q}/{@code to_out}
 *                      weight of a {@code crossattn} delta, as the reference copies them)
 * @param maxRank       {@code min(rows, cols)}
 * @param changeNorm    {@code ‖ΔW‖_F} (0 for a copied weight)
 * @param relativeError {@code ‖ΔW − u v‖_F / ‖ΔW‖_F} with the stored float32 factors (0 for a zero
 *                      change or a copied weight)
 * @param storedParams  elements stored for it: {@code rank·(rows + cols)}, or all of a copied weight
 * @param fullParams    elements of the uncompressed weight ({@code rows·cols}, or a bias' length)
 */
public record LayerCompression(String name, long rows, long cols, int rank, int maxRank, double changeNorm, double relativeError,
                               long storedParams, long fullParams) {
    /** Whether the weight was copied as is rather than factorised. */
    public boolean copied() {
        return rank < 0;
    }

    /** Stored bytes in float32. */
    public long storedBytes() {
        return storedParams * Float.BYTES;
    }

    /** Bytes of the uncompressed weight in float32. */
    public long fullBytes() {
        return fullParams * Float.BYTES;
    }

    /**
     * Elements a rank-{@code r} factorisation of a {@code rows × cols} matrix stores:
     * {@code r·(rows + cols)} ({@code u} is rows×r, {@code v} is r×cols).
     */
    public static long factorParams(long rows, long cols, long r) {
        return r * (rows + cols);
    }
}
