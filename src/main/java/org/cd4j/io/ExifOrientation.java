package org.cd4j.io;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The EXIF orientation tag (0x0112) and the eight ways it turns a picture upright.
 *
 * <p>Cameras and phones store the sensor's pixels as shot and record how to display them in this
 * tag, so a portrait photo is often stored sideways. Reading the pixels without honouring it (as
 * the reference trainers do: they call {@code Image.open(..).convert("RGB")} without
 * {@code ImageOps.exif_transpose}) trains on sideways concepts; cd4j turns them upright, like
 * every image viewer. Values follow the TIFF/EXIF specification and PIL's
 * {@code exif_transpose}: 1 as stored, 2 mirror left-right, 3 rotate 180°, 4 mirror top-bottom,
 * 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
 *
 * <p>The tag is found in a JPEG's APP1 "Exif" segment, a PNG's {@code eXIf} chunk and a WebP's
 * {@code EXIF} chunk. Anything malformed counts as "no orientation" (1): a broken tag must never
 * make a readable picture unreadable.
 */
public final class ExifOrientation {
    private ExifOrientation() {}

    private static final int TAG_ORIENTATION = 0x0112;

    /** The orientation (1..8) recorded in an encoded image file, or 1 when there is none. */
    public static int of(byte[] file) {
        try {
            byte[] tiff = tiffBlock(file);
            return tiff == null ? 1 : fromTiff(tiff, 0, tiff.length);
        } catch (RuntimeException e) {
            return 1; // malformed metadata: show the pixels as stored
        }
    }

    /** The TIFF structure holding EXIF data inside a JPEG, PNG or WebP file, or null. */
    private static byte[] tiffBlock(byte[] f) {
        if (f.length > 4 && (f[0] & 0xFF) == 0xFF && (f[1] & 0xFF) == 0xD8) return jpegExif(f);
        if (f.length > 8 && (f[0] & 0xFF) == 0x89 && f[1] == 'P' && f[2] == 'N' && f[3] == 'G') return pngExif(f);
        if (f.length > 12 && ascii(f, 0, 4).equals("RIFF") && ascii(f, 8, 4).equals("WEBP")) return webpExif(f);
        return null;
    }

    /** Walks the JPEG markers up to the start of scan, looking for APP1 "Exif\0\0". */
    private static byte[] jpegExif(byte[] f) {
        int p = 2;
        while (p + 4 <= f.length) {
            if ((f[p] & 0xFF) != 0xFF) return null;
            int marker = f[p + 1] & 0xFF;
            if (marker == 0xFF) { // fill byte
                p++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) return null; // scan data starts: no more metadata
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // markers without a length
                p += 2;
                continue;
            }
            int len = ((f[p + 2] & 0xFF) << 8) | (f[p + 3] & 0xFF);
            int start = p + 4;
            int end = p + 2 + len;
            if (len < 2 || end > f.length) return null;
            if (marker == 0xE1 && end - start > 6 && ascii(f, start, 6).equals("Exif\0\0")) {
                return slice(f, start + 6, end);
            }
            p = end;
        }
        return null;
    }

    private static byte[] pngExif(byte[] f) {
        int p = 8;
        while (p + 12 <= f.length) {
            long len = ByteBuffer.wrap(f, p, 4).getInt() & 0xFFFFFFFFL;
            String type = ascii(f, p + 4, 4);
            long end = p + 8 + len;
            if (end + 4 > f.length) return null;
            if (type.equals("eXIf")) return stripExifHeader(slice(f, p + 8, (int) end));
            if (type.equals("IDAT") || type.equals("IEND")) return null; // eXIf must precede the data
            p = (int) end + 4; // skip the CRC
        }
        return null;
    }

    private static byte[] webpExif(byte[] f) {
        int p = 12;
        while (p + 8 <= f.length) {
            String type = ascii(f, p, 4);
            long len = ByteBuffer.wrap(f, p + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
            long end = p + 8 + len;
            if (end > f.length) return null;
            if (type.equals("EXIF")) return stripExifHeader(slice(f, p + 8, (int) end));
            p = (int) (end + (len & 1)); // chunks are padded to even sizes
        }
        return null;
    }

    /** Some writers keep JPEG's "Exif\0\0" prefix in PNG and WebP chunks; skip it when present. */
    private static byte[] stripExifHeader(byte[] b) {
        if (b.length > 6 && ascii(b, 0, 6).equals("Exif\0\0")) return slice(b, 6, b.length);
        return b;
    }

    /** Reads tag 0x0112 from IFD0 of a TIFF block ("II*\0" little- or "MM\0*" big-endian). */
    static int fromTiff(byte[] t, int off, int len) {
        if (len < 8) return 1;
        ByteBuffer b = ByteBuffer.wrap(t, off, len).slice();
        if (t[off] == 'I' && t[off + 1] == 'I') b.order(ByteOrder.LITTLE_ENDIAN);
        else if (t[off] == 'M' && t[off + 1] == 'M') b.order(ByteOrder.BIG_ENDIAN);
        else return 1;
        if ((b.getShort(2) & 0xFFFF) != 42) return 1;
        long ifd = b.getInt(4) & 0xFFFFFFFFL;
        if (ifd + 2 > len) return 1;
        int count = b.getShort((int) ifd) & 0xFFFF;
        for (int i = 0; i < count; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (e + 12 > len) return 1;
            if ((b.getShort(e) & 0xFFFF) != TAG_ORIENTATION) continue;
            int type = b.getShort(e + 2) & 0xFFFF;
            // SHORT (3) is what the spec says; some writers use LONG (4). The value sits inline.
            int v = type == 4 ? b.getInt(e + 8) : b.getShort(e + 8) & 0xFFFF;
            return v >= 1 && v <= 8 ? v : 1;
        }
        return 1;
    }

    /**
     * Returns the picture as it should be displayed under {@code orientation}: the same object
     * for 1 (or an unknown value), else a new TYPE_INT_RGB image (width and height swap for 5-8).
     */
    public static BufferedImage apply(BufferedImage src, int orientation) {
        if (orientation <= 1 || orientation > 8) return src;
        int w = src.getWidth(), h = src.getHeight();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        int[] in = src.getRGB(0, 0, w, h, null, 0, w);
        int[] out = new int[ow * oh];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                // (sx, sy): the stored pixel that is displayed at (x, y)
                int sx, sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; } // 8
                }
                out[y * ow + x] = in[sy * w + sx];
            }
        }
        BufferedImage dst = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
        dst.setRGB(0, 0, ow, oh, out, 0, ow);
        return dst;
    }

    private static String ascii(byte[] b, int off, int len) {
        return new String(b, off, Math.min(len, Math.max(0, b.length - off)), StandardCharsets.ISO_8859_1);
    }

    private static byte[] slice(byte[] b, int from, int to) {
        byte[] out = new byte[to - from];
        System.arraycopy(b, from, out, 0, out.length);
        return out;
    }
}
