package org.cd4j.io;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reading the pictures users give us (PNG, JPEG including CMYK/YCCK and progressive, WebP, BMP,
 * GIF) into plain 8-bit RGB, the way the reference trainers see them through PIL's
 * {@code Image.open(f).convert("RGB")}: colour values as stored (no ICC conversion), alpha
 * dropped (not composited), grey replicated to three channels, palette entries looked up.
 * Unlike the reference, the EXIF orientation is honoured ({@link ExifOrientation}).
 *
 * <p>Decoders are the JDK's ImageIO plus TwelveMonkeys (JPEG variants, WebP) found on the class
 * path. Every failure becomes a {@link FormatException} whose message starts with the file:
 * {@code "<file>: not a readable image (...)"}.
 */
public final class ImageFiles {
    private ImageFiles() {}

    /** The file name extensions treated as images, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "webp", "bmp", "gif");

    /**
     * PIL refuses images above twice its {@code MAX_IMAGE_PIXELS} (89,478,485) as a likely
     * decompression bomb; so do we, before allocating anything.
     */
    public static final long MAX_PIXELS = 2L * 89_478_485L;

    /** True when the file name ends in one of {@link #EXTENSIONS} (case-insensitive). */
    public static boolean isImageName(Path file) {
        Path name = file.getFileName();
        if (name == null) return false;
        String s = name.toString();
        int dot = s.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(s.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * The image files directly inside {@code dir} (by extension; hidden files such as macOS's
     * {@code ._x.jpg} skipped), in natural name order: digit runs compare as numbers, so
     * {@code 2.png} comes before {@code 10.png} and generated {@code <i>-<sha1>.jpg} files keep
     * their generation order.
     */
    public static List<Path> listImages(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, Files.exists(dir) ? "not a folder" : "no such folder");
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(ImageFiles::isImageName)
                    .filter(Files::isRegularFile)
                    .forEach(out::add);
        }
        out.sort((a, b) -> NaturalOrder.compare(a.getFileName().toString(), b.getFileName().toString()));
        return out;
    }

    /**
     * Reads an image file as TYPE_INT_RGB, upright per its EXIF orientation.
     *
     * @throws FormatException naming the file when it is missing, not an image, corrupt,
     *     truncated or too large
     */
    public static BufferedImage read(Path file) throws FormatException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new FormatException(file, "not a readable image (no such file)", e);
        } catch (IOException e) {
            throw new FormatException(file, "not a readable image (" + e + ")", e);
        }
        return decode(file, bytes, MAX_PIXELS).image();
    }

    /**
     * A picture decoded from bytes, and the file-name extension of its format.
     *
     * @param image     TYPE_INT_RGB, upright per its EXIF orientation
     * @param extension one of {@link #EXTENSIONS} ({@code jpg} for JPEG), or the decoder's own
     *                  lower-case format name for formats outside them (TIFF, …)
     */
    public record Decoded(BufferedImage image, String extension) {}

    /**
     * Decodes a picture held in memory, refusing it from its header, before any pixel is
     * allocated, when it has more than {@code maxPixels} pixels.
     *
     * @param label names the picture in messages (its file, or where it came from)
     * @throws FormatException starting with {@code label} when the bytes are not a readable
     *     picture, are truncated or too large
     */
    public static Decoded decode(Path label, byte[] bytes, long maxPixels) throws FormatException {
        Decoded raw = decodeAsStored(label, bytes, Math.min(maxPixels, MAX_PIXELS));
        return new Decoded(ExifOrientation.apply(toRgb(raw.image()), ExifOrientation.of(bytes)), raw.extension());
    }

    /** The decoder's format as a file-name extension: lower case, "jpeg" as "jpg". */
    private static String extension(ImageReader reader) throws IOException {
        String name = reader.getFormatName().toLowerCase(Locale.ROOT);
        return name.equals("jpeg") ? "jpg" : name;
    }

    /** The decoder's picture as stored (any colour model, no EXIF rotation) with its format's extension. */
    private static Decoded decodeAsStored(Path file, byte[] bytes, long maxPixels) throws FormatException {
        // A memory-backed stream: ImageIO's default may spill to temporary files.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new FormatException(file, "not a readable image (no decoder recognises its content;"
                        + " expected PNG, JPEG, WebP, BMP or GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((src, msg) -> warnings.add(msg));
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > maxPixels) {
                    throw new FormatException(file, "not a readable image (" + w + "x" + h
                            + " pixels; at most " + maxPixels + " are accepted)");
                }
                String extension = extension(reader);
                BufferedImage img = reader.read(0);
                // libjpeg only warns about missing data and fills grey; PIL refuses such files.
                for (String m : warnings) {
                    String lower = m.toLowerCase(Locale.ROOT);
                    if (lower.contains("premature end") || lower.contains("truncat")) {
                        throw new FormatException(file, "not a readable image (truncated: " + m + ")");
                    }
                }
                return new Decoded(img, extension);
            } finally {
                reader.dispose();
            }
        } catch (FormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new FormatException(file, "not a readable image (" + why + ")", e);
        }
    }

    /** PIL's {@code convert("RGB")}: stored colour values, alpha dropped, grey replicated. */
    static BufferedImage toRgb(BufferedImage src) {
        int w = src.getWidth(), h = src.getHeight();
        if (src.getType() == BufferedImage.TYPE_INT_RGB) return src;
        BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        ColorModel cm = src.getColorModel();
        Raster r = src.getRaster();
        int bands = r.getNumBands();
        int[] row = new int[w];
        int csType = cm.getColorSpace().getType();
        if (cm instanceof IndexColorModel icm) {
            int[] idx = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, idx);
                for (int x = 0; x < w; x++) row[x] = icm.getRGB(idx[x]) & 0xFFFFFF;
                dst.setRGB(0, y, w, 1, row, 0, w);
            }
        } else if ((csType == ColorSpace.TYPE_RGB && bands >= 3) || (csType == ColorSpace.TYPE_GRAY && bands <= 2)) {
            // Raw samples, not getRGB(): getRGB would convert through the colour space (ICC
            // profiles, the JDK's linear grey), which PIL does not do.
            boolean grey = csType == ColorSpace.TYPE_GRAY;
            int[][] ch = new int[3][w];
            int[] bits = new int[3];
            for (int c = 0; c < 3; c++) bits[c] = cm.getComponentSize(grey ? 0 : c);
            for (int y = 0; y < h; y++) {
                for (int c = 0; c < 3; c++) {
                    if (grey && c > 0) ch[c] = ch[0];
                    else r.getSamples(0, y, w, 1, c, ch[c]);
                }
                for (int x = 0; x < w; x++) {
                    row[x] = (to8(ch[0][x], bits[0]) << 16) | (to8(ch[1][x], bits[1]) << 8) | to8(ch[2][x], bits[2]);
                }
                dst.setRGB(0, y, w, 1, row, 0, w);
            }
        } else {
            // Anything else (a CMYK raster a decoder did not convert, exotic models): let the
            // colour model do the conversion to sRGB.
            for (int y = 0; y < h; y++) {
                src.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) row[x] &= 0xFFFFFF;
                dst.setRGB(0, y, w, 1, row, 0, w);
            }
        }
        return dst;
    }

    /** A sample of {@code bits} bits as 8 bits: 16-bit keeps the high byte (as PIL does). */
    private static int to8(int v, int bits) {
        if (bits == 8) return v & 0xFF;
        if (bits > 8) return (v >>> (bits - 8)) & 0xFF;
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }

    /** Writes {@code image} as a baseline JPEG of the given quality (0..1; PIL's 95 is 0.95). */
    public static void writeJpeg(OutputStream out, BufferedImage image, float quality) throws IOException {
        BufferedImage rgb = toRgb(image);
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg");
        if (!it.hasNext()) throw new IOException("no JPEG writer available in this JVM");
        ImageWriter writer = it.next();
        try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            writer.write(null, new IIOImage(rgb, null, null), p);
        } finally {
            writer.dispose();
        }
    }

    /** Name comparison where runs of digits compare by value ("2" < "10"), then plainly. */
    static final class NaturalOrder {
        private NaturalOrder() {}

        static int compare(String a, String b) {
            int i = 0, j = 0;
            while (i < a.length() && j < b.length()) {
                char ca = a.charAt(i), cb = b.charAt(j);
                if (Character.isDigit(ca) && Character.isDigit(cb)) {
                    int si = i, sj = j;
                    while (i < a.length() && Character.isDigit(a.charAt(i))) i++;
                    while (j < b.length() && Character.isDigit(b.charAt(j))) j++;
                    String da = strip(a.substring(si, i)), db = strip(b.substring(sj, j));
                    if (da.length() != db.length()) return Integer.compare(da.length(), db.length());
                    int c = da.compareTo(db);
                    if (c != 0) return c;
                } else {
                    if (ca != cb) return Character.compare(ca, cb);
                    i++;
                    j++;
                }
            }
            int c = Integer.compare(a.length() - i, b.length() - j);
            return c != 0 ? c : a.compareTo(b); // "01" vs "1": fall back to a total order
        }

        private static String strip(String digits) {
            int k = 0;
            while (k < digits.length() - 1 && digits.charAt(k) == '0') k++;
            return digits.substring(k);
        }
    }
}
