package org.cd4j.concept.retrieve;

import java.nio.file.Path;

/**
 * One picture a source offers, in the source's rank order (best first).
 *
 * @param url        where it comes from: the web address a service returned, or for a local
 *                   collection the address its {@code urls.txt} gives, else the file's URI;
 *                   written to {@code urls.txt}
 * @param caption    its caption, one line ({@link Captions#clean})
 * @param similarity the source's score: the service's {@code similarity}, or the cosine of the
 *                   CLIP text features for a local collection
 * @param file       the picture on disk for a local collection; null for a web address
 */
public record Candidate(String url, String caption, double similarity, Path file) {
    /** Checks the fields every source must fill. */
    public Candidate {
        if (url == null || url.isBlank()) throw new IllegalArgumentException("a candidate needs its address");
        if (caption == null) throw new IllegalArgumentException("a candidate needs a caption (may be empty)");
    }

    /** A picture at a web address. */
    public static Candidate remote(String url, String caption, double similarity) {
        return new Candidate(url, caption, similarity, null);
    }
}
