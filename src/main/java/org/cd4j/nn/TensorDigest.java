package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The identity of a set of weights: SHA-256 of, for each name in sorted order, the name in UTF-8
 * followed by the tensor's values as little-endian float32 bytes (converted from whatever dtype
 * it has), in lower-case hex. Equal weights give equal digests whatever order or dtype they
 * come in, so files that record a digest can tell which model they were made from.
 */
public final class TensorDigest {
    private TensorDigest() {}

    /** The digest of {@code named}. */
    public static String sha256(Map<String, Tensor> named) {
        MessageDigest sha = newSha256();
        for (Map.Entry<String, Tensor> e : new TreeMap<>(named).entrySet()) {
            sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update(Tensors.bytes(e.getValue().to(torch.ScalarType.Float))); // x86/ARM: native order is little-endian
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** A SHA-256 digest (every JVM has one). */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
