package org.cd4j.concept.retrieve;

import java.time.Duration;

/**
 * How pictures (and the service) are fetched.
 *
 * @param timeout  connecting, waiting for the answer's headers, and the longest pause between two
 *                 pieces of a body (the meaning of {@code requests}' {@code timeout}, which the
 *                 reference's HF {@code retrieve.py} sets to 30 s); a slow but moving download
 *                 is not cut
 * @param retries  further attempts after a transient failure (time-out, refused connection,
 *                 HTTP 408/425/429/5xx); broken links (404 …), non-pictures and oversize files
 *                 are never retried
 * @param backoff  the pause before the first retry, doubled before each further one
 * @param maxBytes the largest picture file accepted; a longer one is cut off as soon as its
 *                 declared length or its received bytes exceed this
 */
public record HttpSettings(Duration timeout, int retries, Duration backoff, long maxBytes) {
    /** Defaults: 30 s, 2 retries, 1 s backoff, 25 MiB. */
    public static final HttpSettings DEFAULT = new HttpSettings(Duration.ofSeconds(30), 2, Duration.ofSeconds(1), 25L << 20);

    /** Checks the ranges (messages name the CLI flags). */
    public HttpSettings {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--timeout must be positive");
        if (retries < 0 || retries > 10) throw new IllegalArgumentException("--retries must be between 0 and 10, got " + retries);
        if (backoff == null || backoff.isNegative()) throw new IllegalArgumentException("the retry backoff must be >= 0");
        if (maxBytes < 1) throw new IllegalArgumentException("--max-bytes must be positive, got " + maxBytes);
    }
}
