package org.cd4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageFilesTest {
    @TempDir
    Path dir;

    // Four flat quadrants (big enough to survive JPEG): top-left red, top-right green,
    // bottom-left blue, bottom-right white, in a 64 x 32 picture.
    private static final int RED = 0xFF0000, GREEN = 0x00FF00, BLUE = 0x0000FF, WHITE = 0xFFFFFF;

    private static BufferedImage quadrants(int type) {
        BufferedImage img = new BufferedImage(64, 32, type);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) {
                int c = y < 16 ? (x < 32 ? RED : GREEN) : (x < 32 ? BLUE : WHITE);
                img.setRGB(x, y, 0xFF000000 | c);
            }
        }
        return img;
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).as("a %s writer", format).isTrue();
        return out.toByteArray();
    }

    private static byte[] jpeg(BufferedImage img, boolean progressive) throws IOException {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            w.setOutput(ios);
            ImageWriteParam p = w.getDefaultWriteParam();
            if (progressive) p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.95f);
            w.write(null, new IIOImage(img, null, null), p);
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Colour distance per channel, for lossy formats. */
    private static void assertNear(int rgb, int expected, int tol) {
        for (int s = 0; s <= 16; s += 8) {
            int a = (rgb >> s) & 0xFF, b = (expected >> s) & 0xFF;
            assertThat(Math.abs(a - b)).as("channel at shift %d of %06x vs %06x", s, rgb & 0xFFFFFF, expected).isLessThanOrEqualTo(tol);
        }
    }

    @Test
    void readsPngExactlyAsRgb() throws IOException {
        BufferedImage img = quadrants(BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 4, 0x123456);
        BufferedImage got = ImageFiles.read(file("a.png", encode(img, "png")));
        assertThat(got.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(got.getRGB(3, 4) & 0xFFFFFF).isEqualTo(0x123456);
        assertThat(got.getRGB(40, 20) & 0xFFFFFF).isEqualTo(WHITE);
    }

    @Test
    void dropsAlphaKeepingStoredColours() throws IOException {
        // PIL's convert("RGB") discards alpha: a transparent pixel keeps its colour, not white.
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(1, 1, 0x00AB4020);
        img.setRGB(2, 2, 0x80102030);
        BufferedImage got = ImageFiles.read(file("alpha.png", encode(img, "png")));
        assertThat(got.getRGB(1, 1) & 0xFFFFFF).isEqualTo(0xAB4020);
        assertThat(got.getRGB(2, 2) & 0xFFFFFF).isEqualTo(0x102030);
    }

    @Test
    void greyIsReplicatedNotGammaConverted() throws IOException {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 50);
        img.getRaster().setSample(1, 0, 0, 128);
        BufferedImage got = ImageFiles.read(file("g.png", encode(img, "png")));
        assertThat(got.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x323232);
        assertThat(got.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0x808080);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bmp", "gif"})
    void readsBmpAndGif(String format) throws IOException {
        BufferedImage got = ImageFiles.read(file("q." + format, encode(quadrants(BufferedImage.TYPE_INT_RGB), format)));
        assertThat(got.getWidth()).isEqualTo(64);
        assertThat(got.getRGB(5, 5) & 0xFFFFFF).isEqualTo(RED);
        assertThat(got.getRGB(60, 30) & 0xFFFFFF).isEqualTo(WHITE);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void readsBaselineAndProgressiveJpeg(boolean progressive) throws IOException {
        byte[] bytes = jpeg(quadrants(BufferedImage.TYPE_INT_RGB), progressive);
        // SOF2 (0xFFC2) marks a progressive JPEG: make sure the writer really made one.
        boolean sof2 = false;
        for (int i = 0; i + 1 < bytes.length; i++) sof2 |= (bytes[i] & 0xFF) == 0xFF && (bytes[i + 1] & 0xFF) == 0xC2;
        assertThat(sof2).isEqualTo(progressive);
        BufferedImage got = ImageFiles.read(file("q.jpg", bytes));
        assertThat(got.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertNear(got.getRGB(8, 8), RED, 6);
        assertNear(got.getRGB(48, 8), GREEN, 6);
        assertNear(got.getRGB(8, 24), BLUE, 6);
        assertNear(got.getRGB(48, 24), WHITE, 6);
    }

    /**
     * A CMYK JPEG (Adobe APP14, no ICC profile) made by PIL 9.4:
     * {@code Image.new("CMYK", (32, 16))}, right half K = 255, top-left 8x8 C = 255, quality 95.
     * PIL's convert("RGB") gives cyan (0, 255, 255), black, white. Without an embedded ICC profile
     * TwelveMonkeys gives the same here; with one it converts through it, so only closeness is
     * asserted.
     */
    private static final String CMYK_JPEG = "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCgwJCgoK/8AAFAgAEAAgBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD+f+v38r9/K/fyv7/KKKKKKK/gDooooooor+/yiiiiiiiv4A6KKKK//9k=";

    @Test
    void readsCmykJpeg() throws IOException {
        BufferedImage got = ImageFiles.read(file("cmyk.jpg", Base64.getDecoder().decode(CMYK_JPEG)));
        assertThat(got.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(got.getWidth()).isEqualTo(32);
        int cyan = got.getRGB(2, 2), black = got.getRGB(24, 8), white = got.getRGB(10, 12);
        assertThat((cyan >> 16) & 0xFF).as("cyan has little red").isLessThan(80);
        assertThat(cyan & 0xFF).as("cyan has much blue").isGreaterThan(170);
        assertNear(black, 0x000000, 60);
        assertNear(white, WHITE, 20);
    }

    /** A lossless WebP made by PIL 9.4: 16 x 8, left half red, right half blue, top row (10, 200, 30). */
    private static final String WEBP_LOSSLESS = "UklGRjQAAABXRUJQVlA4TCgAAAAvD8ABABcwyEKChO7/vQpkk10kf8vmP7hZQJBtM8lLlvQIEf0P2OoH";

    @Test
    void readsWebp() throws IOException {
        BufferedImage got = ImageFiles.read(file("w.webp", Base64.getDecoder().decode(WEBP_LOSSLESS)));
        assertThat(got.getWidth()).isEqualTo(16);
        assertThat(got.getHeight()).isEqualTo(8);
        assertThat(got.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x0AC81E);
        assertThat(got.getRGB(3, 5) & 0xFFFFFF).isEqualTo(RED);
        assertThat(got.getRGB(12, 5) & 0xFFFFFF).isEqualTo(BLUE);
    }

    /** An APP1 "Exif" segment holding a big- or little-endian TIFF IFD0 with one entry: orientation. */
    static byte[] exifApp1(int orientation, boolean bigEndian) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        tiff.put(bigEndian ? (byte) 'M' : (byte) 'I').put(bigEndian ? (byte) 'M' : (byte) 'I');
        tiff.putShort((short) 42).putInt(8); // magic, offset of IFD0
        tiff.putShort((short) 1); // one entry
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0); // no next IFD
        byte[] body = tiff.array();
        ByteBuffer seg = ByteBuffer.allocate(4 + 6 + body.length).order(ByteOrder.BIG_ENDIAN);
        seg.put((byte) 0xFF).put((byte) 0xE1).putShort((short) (2 + 6 + body.length));
        seg.put("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1)).put(body);
        return seg.array();
    }

    /** The JPEG with an APP1 segment inserted right after SOI. */
    static byte[] withExif(byte[] jpeg, byte[] app1) {
        byte[] out = new byte[jpeg.length + app1.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app1, 0, out, 2, app1.length);
        System.arraycopy(jpeg, 2, out, 2 + app1.length, jpeg.length - 2);
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void honoursExifOrientation(int orientation) throws IOException {
        byte[] plain = jpeg(quadrants(BufferedImage.TYPE_INT_RGB), false);
        BufferedImage got = ImageFiles.read(file("o.jpg", withExif(plain, exifApp1(orientation, orientation % 2 == 0))));
        // Where the stored corners (red top-left, green top-right, blue bottom-left, white
        // bottom-right) must be displayed: {top-left, top-right, bottom-left, bottom-right}.
        int[] corners = switch (orientation) {
            case 1 -> new int[] {RED, GREEN, BLUE, WHITE};
            case 2 -> new int[] {GREEN, RED, WHITE, BLUE}; // mirrored left-right
            case 3 -> new int[] {WHITE, BLUE, GREEN, RED}; // rotated 180
            case 4 -> new int[] {BLUE, WHITE, RED, GREEN}; // mirrored top-bottom
            case 5 -> new int[] {RED, BLUE, GREEN, WHITE}; // transposed
            case 6 -> new int[] {BLUE, RED, WHITE, GREEN}; // rotated 90 clockwise
            case 7 -> new int[] {WHITE, GREEN, BLUE, RED}; // transversed
            default -> new int[] {GREEN, WHITE, RED, BLUE}; // 8: rotated 90 counter-clockwise
        };
        boolean swapped = orientation >= 5;
        assertThat(got.getWidth()).isEqualTo(swapped ? 32 : 64);
        assertThat(got.getHeight()).isEqualTo(swapped ? 64 : 32);
        int w = got.getWidth() - 1, h = got.getHeight() - 1;
        assertNear(got.getRGB(2, 2), corners[0], 8);
        assertNear(got.getRGB(w - 2, 2), corners[1], 8);
        assertNear(got.getRGB(2, h - 2), corners[2], 8);
        assertNear(got.getRGB(w - 2, h - 2), corners[3], 8);
        if (orientation == 1) {
            // pixel-exact: the EXIF segment changes nothing else
            BufferedImage ref = ImageFiles.read(file("p.jpg", plain));
            assertThat(got.getRGB(0, 0, 64, 32, null, 0, 64)).isEqualTo(ref.getRGB(0, 0, 64, 32, null, 0, 64));
        }
    }

    @Test
    void exifOrientationIsExactPermutation() throws IOException {
        // Orientation 6 moves stored pixel (x, y) of a W x H picture to (H-1-y, x).
        byte[] plain = jpeg(quadrants(BufferedImage.TYPE_INT_RGB), false);
        BufferedImage ref = ImageFiles.read(file("p.jpg", plain));
        BufferedImage rot = ImageFiles.read(file("r.jpg", withExif(plain, exifApp1(6, false))));
        for (int y = 0; y < 32; y += 5) {
            for (int x = 0; x < 64; x += 7) assertThat(rot.getRGB(31 - y, x)).isEqualTo(ref.getRGB(x, y));
        }
    }

    @Test
    void honoursPngExifChunk() throws IOException {
        byte[] png = encode(quadrants(BufferedImage.TYPE_INT_RGB), "png");
        byte[] app1 = exifApp1(8, true);
        byte[] tiff = Arrays.copyOfRange(app1, 10, app1.length); // PNG's eXIf holds the bare TIFF block
        ByteBuffer chunk = ByteBuffer.allocate(12 + tiff.length);
        chunk.putInt(tiff.length).put("eXIf".getBytes(StandardCharsets.ISO_8859_1)).put(tiff);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(chunk.array(), 4, 4 + tiff.length);
        chunk.putInt((int) crc.getValue());
        int afterIhdr = 8 + 8 + 13 + 4; // signature, IHDR header, IHDR data, CRC
        byte[] out = new byte[png.length + chunk.capacity()];
        System.arraycopy(png, 0, out, 0, afterIhdr);
        System.arraycopy(chunk.array(), 0, out, afterIhdr, chunk.capacity());
        System.arraycopy(png, afterIhdr, out, afterIhdr + chunk.capacity(), png.length - afterIhdr);
        assertThat(ExifOrientation.of(out)).isEqualTo(8);
        BufferedImage got = ImageFiles.read(file("rot.png", out));
        assertThat(got.getWidth()).isEqualTo(32);
        assertThat(got.getRGB(0, 0) & 0xFFFFFF).isEqualTo(GREEN); // rotated 90 counter-clockwise
        assertThat(got.getRGB(31, 63) & 0xFFFFFF).isEqualTo(BLUE);
    }

    @Test
    void malformedExifIsIgnored() throws IOException {
        byte[] plain = jpeg(quadrants(BufferedImage.TYPE_INT_RGB), false);
        byte[] app1 = exifApp1(6, true);
        app1[10] = 'X'; // break the TIFF byte-order mark
        BufferedImage got = ImageFiles.read(file("m.jpg", withExif(plain, app1)));
        assertThat(got.getWidth()).isEqualTo(64);
    }

    @Test
    void corruptFilesAreNamed() throws IOException {
        byte[] png = encode(quadrants(BufferedImage.TYPE_INT_RGB), "png");
        Path cut = file("cut.png", Arrays.copyOf(png, png.length / 2));
        assertThatThrownBy(() -> ImageFiles.read(cut)).isInstanceOf(FormatException.class)
                .hasMessageStartingWith(cut + ": not a readable image (");
        // A JPEG cut in the middle of its scan data: libjpeg-style decoders only warn and fill
        // grey; we refuse it, like PIL.
        BufferedImage noise = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(7);
        for (int y = 0; y < 128; y++) for (int x = 0; x < 128; x++) noise.setRGB(x, y, r.nextInt());
        for (boolean progressive : new boolean[] {false, true}) {
            byte[] full = jpeg(noise, progressive);
            Path cutJpg = file("cut.jpg", Arrays.copyOf(full, full.length / 2));
            assertThatThrownBy(() -> ImageFiles.read(cutJpg)).isInstanceOf(FormatException.class)
                    .hasMessageStartingWith(cutJpg + ": not a readable image (truncated");
        }
        byte[] jpg = jpeg(quadrants(BufferedImage.TYPE_INT_RGB), false);
        byte[] garbage = jpg.clone();
        for (int i = 200; i < garbage.length; i++) garbage[i] = (byte) 0xFF;
        Path bad = file("bad.jpg", garbage);
        assertThatThrownBy(() -> ImageFiles.read(bad)).hasMessageStartingWith(bad + ": not a readable image (");
    }

    @Test
    void nonImagesAndMissingFilesAreNamed() throws IOException {
        Path text = file("notes.jpg", "just some text\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ImageFiles.read(text)).isInstanceOf(FormatException.class)
                .hasMessage(text + ": not a readable image (no decoder recognises its content; expected PNG, JPEG, WebP, BMP or GIF)");
        Path missing = dir.resolve("missing.png");
        assertThatThrownBy(() -> ImageFiles.read(missing)).hasMessage(missing + ": not a readable image (no such file)");
        Path empty = file("empty.png", new byte[0]);
        assertThatThrownBy(() -> ImageFiles.read(empty)).hasMessageStartingWith(empty + ": not a readable image (");
    }

    @Test
    void decodesBytesWithTheirFormatsExtensionAndAPixelLimit() throws IOException {
        BufferedImage img = quadrants(BufferedImage.TYPE_INT_RGB);
        Path label = Path.of("picture 3");
        for (String[] f : new String[][]{{"png", "png"}, {"bmp", "bmp"}, {"gif", "gif"}, {"tiff", "tif"}}) {
            ImageFiles.Decoded d = ImageFiles.decode(label, encode(img, f[0]), 10_000);
            assertThat(d.extension()).as(f[0]).isEqualTo(f[1]);
            assertThat(d.image().getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        }
        assertThat(ImageFiles.decode(label, jpeg(img, false), 10_000).extension()).isEqualTo("jpg");
        assertThat(ImageFiles.decode(label, Base64.getDecoder().decode(WEBP_LOSSLESS), 10_000).extension()).isEqualTo("webp");
        int pixels = img.getWidth() * img.getHeight();
        assertThat(ImageFiles.decode(label, encode(img, "png"), pixels).image().getWidth()).isEqualTo(img.getWidth());
        assertThatThrownBy(() -> ImageFiles.decode(label, encode(img, "png"), pixels - 1)).isInstanceOf(FormatException.class)
                .hasMessage("picture 3: not a readable image (" + img.getWidth() + "x" + img.getHeight() + " pixels; at most "
                        + (pixels - 1) + " are accepted)");
    }

    @Test
    void imageNamesByExtension() {
        for (String n : List.of("a.png", "b.JPG", "c.jpeg", "d.WebP", "e.bmp", "f.gif", "x.y.Png")) {
            assertThat(ImageFiles.isImageName(Path.of(n))).as(n).isTrue();
        }
        for (String n : List.of("a.txt", "png", ".png", "b.tif", "c.jpg.part", "noext")) {
            assertThat(ImageFiles.isImageName(Path.of(n))).as(n).isFalse();
        }
    }

    @Test
    void listsImagesInNaturalOrderSkippingHiddenAndOthers() throws IOException {
        for (String n : List.of("10.png", "2.png", "1.jpg", "._1.jpg", ".hidden.png", "notes.txt", "b.JPEG", "a.webp")) {
            file(n, new byte[] {1});
        }
        Files.createDirectory(dir.resolve("sub.png"));
        List<String> names = ImageFiles.listImages(dir).stream().map(p -> p.getFileName().toString()).toList();
        assertThat(names).containsExactly("1.jpg", "2.png", "10.png", "a.webp", "b.JPEG");
        assertThatThrownBy(() -> ImageFiles.listImages(dir.resolve("nope"))).hasMessageContaining("nope");
    }

    @Test
    void naturalOrder() {
        List<String> names = new java.util.ArrayList<>(List.of("10-abc.jpg", "9-ff.jpg", "100-0.jpg", "0-x.jpg", "img2", "img10", "img1"));
        names.sort(ImageFiles.NaturalOrder::compare);
        assertThat(names).containsExactly("0-x.jpg", "9-ff.jpg", "10-abc.jpg", "100-0.jpg", "img1", "img2", "img10");
    }

    @Test
    void jpegRoundTrip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageFiles.writeJpeg(out, quadrants(BufferedImage.TYPE_INT_ARGB), 0.95f);
        BufferedImage got = ImageFiles.read(file("w.jpg", out.toByteArray()));
        assertNear(got.getRGB(8, 8), RED, 6);
        assertNear(got.getRGB(48, 24), WHITE, 6);
    }
}
