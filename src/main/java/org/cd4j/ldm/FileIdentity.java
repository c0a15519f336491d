package org.cd4j.ldm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A file's identity for caching: the SHA-256 of its content. Hashing gigabytes takes seconds, so
 * the result is remembered under {@code cacheRoot/.identity/} keyed by the file's absolute path,
 * with its size and modification time; a file that changed in either is hashed again.
 */
final class FileIdentity {
    private FileIdentity() {}

    /** The lower-case hex SHA-256 of {@code file}'s content, from the cache when the file is unchanged. */
    static String sha256(Path file, Path cacheRoot) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        long size = Files.size(abs);
        long modified = Files.getLastModifiedTime(abs).toMillis();
        Path record = cacheRoot.resolve(".identity").resolve(sha256(abs.toString()) + ".json");
        if (Files.isRegularFile(record)) {
            try {
                JsonNode r = ModelConfigs.JSON.readTree(record.toFile());
                if (r.path("size").asLong(-1) == size && r.path("modified").asLong(-1) == modified && r.hasNonNull("sha256")) {
                    return r.get("sha256").asText();
                }
            } catch (IOException e) {
                // an unreadable record is rewritten below
            }
        }
        String sha = hash(abs);
        ObjectNode r = ModelConfigs.JSON.createObjectNode();
        r.put("path", abs.toString());
        r.put("size", size);
        r.put("modified", modified);
        r.put("sha256", sha);
        AtomicFiles.write(record, true, out -> out.write(r.toString().getBytes(StandardCharsets.UTF_8)));
        return sha;
    }

    /** SHA-256 of a string's UTF-8 bytes, lower-case hex. */
    static String sha256(String s) {
        return HexFormat.of().formatHex(digest().digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** The file name without extension, reduced to characters safe in any file system. */
    static String safeStem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9._-]", "_");
        return stem.length() > 60 ? stem.substring(0, 60) : stem;
    }

    private static String hash(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            byte[] buf = new byte[1 << 20];
            while (in.read(buf) >= 0) {
                // the digest sees every byte read
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
