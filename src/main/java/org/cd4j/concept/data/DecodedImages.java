package org.cd4j.concept.data;

import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decoded pictures, kept in memory up to a byte budget. Every picture is decoded once when the
 * dataset is built (to find broken files before training starts); keeping the first ones
 * spares decoding them again at every step. Instance sets are small and are listed first, so
 * they are the ones kept. Safe for concurrent readers.
 */
final class DecodedImages {
    private final long budget;
    private final AtomicLong used = new AtomicLong();
    private final Map<Path, RgbImage> kept = new ConcurrentHashMap<>();

    DecodedImages(long budgetBytes) {
        this.budget = budgetBytes;
    }

    /** Decodes {@code file} (checking that it is readable) and keeps it if the budget allows. */
    RgbImage load(Path file) throws FormatException {
        RgbImage cached = kept.get(file);
        if (cached != null) return cached;
        RgbImage img = RgbImage.of(ImageFiles.read(file));
        long bytes = img.data().length;
        if (used.addAndGet(bytes) <= budget) kept.putIfAbsent(file, img);
        else used.addAndGet(-bytes);
        return img;
    }

    /** The picture, from memory or decoded again; failure now (the file changed) is unchecked. */
    RgbImage get(Path file) {
        try {
            return load(file);
        } catch (FormatException e) {
            throw new UncheckedIOException(e);
        }
    }
}
