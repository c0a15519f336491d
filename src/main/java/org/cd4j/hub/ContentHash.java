package org.cd4j.hub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Checks a file against its hub ETag while it is written: an LFS file's ETag is the sha256 of
 * its content; a small file's is its git blob id, the sha1 of {@code "blob <size>\0"} followed
 * by the content. An ETag of another form (a mirror's own) cannot be checked; the size still is.
 */
final class ContentHash {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    private final String etag;
    private final long size;
    private final String algorithm;
    private MessageDigest digest;

    ContentHash(String etag, long size) {
        this.etag = etag;
        this.size = size;
        this.algorithm = SHA256.matcher(etag).matches() ? "SHA-256" : SHA1.matcher(etag).matches() ? "SHA-1" : null;
        reset();
    }

    /** Whether the ETag names a hash that can be checked. */
    boolean checkable() {
        return algorithm != null;
    }

    /** What the check compares, for messages: "sha256" or "git sha1". */
    String kind() {
        return "SHA-256".equals(algorithm) ? "sha256" : "git sha1";
    }

    /** Starts over (the content will be fed again from its first byte). */
    void reset() {
        if (algorithm == null) return;
        try {
            digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // both are required in every JDK
        }
        if (algorithm.equals("SHA-1")) digest.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    void update(byte[] b, int off, int len) {
        if (digest != null) digest.update(b, off, len);
    }

    /** The hash of everything fed since the last reset, in lowercase hex (null when not checkable). */
    String finish() {
        return digest == null ? null : HexFormat.of().formatHex(digest.digest());
    }

    String expected() {
        return etag;
    }
}
