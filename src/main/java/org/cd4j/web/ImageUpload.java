package org.cd4j.web;

import org.cd4j.concept.data.ClassImages;
import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;
import org.cd4j.io.Png;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * Stores an uploaded picture safely. The bytes go to a server-named temporary file (never the
 * client's name), are size-checked, have their pixel count read from the header before anything
 * is decoded (decompression bombs), are decoded fully (upright per EXIF) to prove they are a
 * picture, and are saved re-encoded as PNG under a server-chosen name. A thumbnail is made once.
 */
public final class ImageUpload {
    /** Largest accepted upload, bytes. */
    public static final long MAX_BYTES = 25L * 1024 * 1024;
    /** Largest accepted picture, pixels (e.g. 8000 × 5000). */
    public static final long MAX_PIXELS = 40_000_000L;
    /** Thumbnail side, pixels. */
    static final int THUMB = 256;
    /** Where thumbnails live inside a dataset (hidden: never read as training pictures). */
    static final String THUMBS = ".thumbs";

    private ImageUpload() {}

    /** What was stored: the server's name and the picture's size. */
    public record Stored(String name, int width, int height, boolean duplicate) {}

    /**
     * Checks and stores one upload into {@code dir} as {@code <index>-<hash>.png}.
     *
     * @param index the number to start the name with (keeps upload order in name order)
     * @throws ApiException 400/413 with a message naming the client's file when it is refused
     */
    public static Stored store(Path tmpDir, Path dir, int index, String clientName, long size, InputStream content) throws IOException {
        String who = "'" + Workdir.shorten(clientName == null ? "upload" : clientName) + "'";
        if (size > MAX_BYTES) throw new ApiException(413, who + " is larger than " + MAX_BYTES / (1024 * 1024) + " MB");
        Path tmp = tmpDir.resolve("upload-" + Workdir.randomHex(8));
        try {
            long n;
            try (InputStream in = content) {
                n = copyLimited(in, tmp);
            }
            if (n == 0) throw ApiException.bad(who + " is empty");
            checkPixels(tmp, who);
            BufferedImage img;
            try {
                img = ImageFiles.read(tmp);
            } catch (FormatException e) {
                throw ApiException.bad(who + " is not a picture cd4j can read (PNG, JPEG, WebP, BMP or GIF)");
            }
            String hash = pixelHash(img);
            try (var s = Files.list(dir)) {
                var same = s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith("-" + hash + ".png")).findFirst();
                if (same.isPresent()) return new Stored(same.get(), img.getWidth(), img.getHeight(), true);
            }
            String name = String.format(java.util.Locale.ROOT, "%03d-%s.png", index, hash);
            Png.write(dir.resolve(name), img, Map.of(), false);
            writeThumb(dir, name, img);
            return new Stored(name, img.getWidth(), img.getHeight(), false);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Copies at most {@link #MAX_BYTES} (+1 to notice more); a longer stream is refused. */
    private static long copyLimited(InputStream in, Path to) throws IOException {
        long total = 0;
        byte[] buf = new byte[64 * 1024];
        try (var out = Files.newOutputStream(to)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                total += r;
                if (total > MAX_BYTES) throw new ApiException(413, "an upload is larger than " + MAX_BYTES / (1024 * 1024) + " MB");
                out.write(buf, 0, r);
            }
        }
        return total;
    }

    private static void checkPixels(Path file, String who) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> it = in == null ? null : ImageIO.getImageReaders(in);
            if (it == null || !it.hasNext()) throw ApiException.bad(who + " is not a picture (PNG, JPEG, WebP, BMP or GIF)");
            ImageReader r = it.next();
            try {
                r.setInput(in, true, true);
                long w = r.getWidth(0), h = r.getHeight(0);
                if (w <= 0 || h <= 0) throw ApiException.bad(who + " has no pixels");
                if (w * h > MAX_PIXELS) throw new ApiException(413, who + " is " + w + "×" + h + " pixels; at most " + MAX_PIXELS / 1_000_000 + " megapixels are accepted");
            } catch (IOException | RuntimeException e) {
                if (e instanceof ApiException a) throw a;
                throw ApiException.bad(who + " is not a readable picture");
            } finally {
                r.dispose();
            }
        }
    }

    /** A short hash of the pixels, so the same picture uploaded twice is kept once. */
    static String pixelHash(BufferedImage img) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            int[] row = new int[img.getWidth()];
            byte[] b = new byte[row.length * 3];
            for (int y = 0; y < img.getHeight(); y++) {
                img.getRGB(0, y, row.length, 1, row, 0, row.length);
                for (int x = 0; x < row.length; x++) {
                    b[3 * x] = (byte) (row[x] >> 16);
                    b[3 * x + 1] = (byte) (row[x] >> 8);
                    b[3 * x + 2] = (byte) row[x];
                }
                md.update(b);
            }
            md.update((img.getWidth() + "x" + img.getHeight()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest()).substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code dir/.thumbs/<name>.jpg} for a stored picture. */
    static void writeThumb(Path dir, String name, BufferedImage img) throws IOException {
        Path thumbs = dir.resolve(THUMBS);
        Files.createDirectories(thumbs);
        BufferedImage t = scale(img, THUMB);
        Path tmp = thumbs.resolve(name + ".tmp");
        try (var out = Files.newOutputStream(tmp)) {
            ImageFiles.writeJpeg(out, t, 0.85f);
        }
        Files.move(tmp, thumbs.resolve(name + ".jpg"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The thumbnail of a stored picture, made on first use for pictures that arrived another way (generated sets). */
    static Path thumb(Path dir, String name) throws IOException {
        Path t = dir.resolve(THUMBS).resolve(name + ".jpg");
        if (!Files.isRegularFile(t)) writeThumb(dir, name, ImageFiles.read(dir.resolve(name)));
        return t;
    }

    /** Scales so the longer side is at most {@code max}, in halving steps for a smooth result. */
    static BufferedImage scale(BufferedImage src, int max) {
        BufferedImage cur = src;
        int w = src.getWidth(), h = src.getHeight();
        double f = Math.min(1.0, max / (double) Math.max(w, h));
        int tw = Math.max(1, (int) Math.round(w * f)), th = Math.max(1, (int) Math.round(h * f));
        while (cur.getWidth() != tw || cur.getHeight() != th) {
            int nw = Math.max(tw, cur.getWidth() / 2), nh = Math.max(th, cur.getHeight() / 2);
            BufferedImage next = new BufferedImage(nw, nh, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = next.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(cur, 0, 0, nw, nh, null);
            g.dispose();
            cur = next;
        }
        return cur;
    }

    /** Counts the pictures of a folder as training will (hidden files and thumbnails excluded). */
    static int count(Path dir) throws IOException {
        return ClassImages.countImages(dir);
    }
}
