package org.cd4j.concept.data;

import java.awt.image.BufferedImage;

/**
 * An 8-bit RGB picture as interleaved bytes, row-major ({@code data[(y * width + x) * 3 + c]}):
 * the layout of PIL's {@code image.tobytes()} for mode "RGB", and what the augmentation works on.
 * Instances are never modified after construction; operations return new pictures.
 */
public record RgbImage(int width, int height, byte[] data) {
    /** Validates that {@code data} holds exactly {@code width × height × 3} bytes. */
    public RgbImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("empty image " + width + "x" + height);
        if (data.length != width * height * 3) {
            throw new IllegalArgumentException(data.length + " bytes for a " + width + "x" + height + " RGB image");
        }
    }

    /** The colour channels of a picture (alpha, if any, is dropped). */
    public static RgbImage of(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        byte[] d = new byte[w * h * 3];
        for (int i = 0; i < argb.length; i++) {
            d[3 * i] = (byte) (argb[i] >> 16);
            d[3 * i + 1] = (byte) (argb[i] >> 8);
            d[3 * i + 2] = (byte) argb[i];
        }
        return new RgbImage(w, h, d);
    }

    /** A TYPE_INT_RGB copy, for saving or looking at. */
    public BufferedImage toBufferedImage() {
        int[] rgb = new int[width * height];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = ((data[3 * i] & 0xFF) << 16) | ((data[3 * i + 1] & 0xFF) << 8) | (data[3 * i + 2] & 0xFF);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, width, height, rgb, 0, width);
        return img;
    }

    /** Channel {@code c} (0 = R) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return data[(y * width + x) * 3 + c] & 0xFF;
    }

    /** The mirror image, left ↔ right (torchvision's {@code hflip}). */
    public RgbImage flipHorizontal() {
        byte[] d = new byte[data.length];
        for (int y = 0; y < height; y++) {
            int row = y * width * 3;
            for (int x = 0; x < width; x++) {
                System.arraycopy(data, row + x * 3, d, row + (width - 1 - x) * 3, 3);
            }
        }
        return new RgbImage(width, height, d);
    }

    /** The {@code w × h} region whose top-left corner is (left, top). */
    public RgbImage crop(int left, int top, int w, int h) {
        if (left < 0 || top < 0 || left + w > width || top + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + "+" + left + "+" + top
                    + " outside a " + width + "x" + height + " image");
        }
        byte[] d = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(data, ((top + y) * width + left) * 3, d, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, d);
    }
}
