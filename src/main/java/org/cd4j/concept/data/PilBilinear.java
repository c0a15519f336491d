package org.cd4j.concept.data;

/**
 * PIL's {@code Image.resize(size, Image.BILINEAR)} for 8-bit RGB, bit for bit.
 *
 * <p>The reference trainers resize every training picture with PIL (directly, or through
 * torchvision's {@code Resize} on PIL images). PIL's "bilinear" is not the textbook 2×2 blend:
 * it is a separable convolution with the triangle filter whose support widens with the
 * downscale factor (an antialiasing filter), computed with 22-bit fixed-point coefficients, a
 * horizontal pass first, and the intermediate image rounded to 8 bits. Reproducing exactly that
 * (Pillow's {@code libImaging/Resample.c}: {@code precompute_coeffs},
 * {@code normalize_coeffs_8bpc}, {@code ImagingResampleHorizontal_8bpc}/{@code Vertical}) makes
 * our training inputs equal the reference's, not merely close. Pure Java, so the data side never
 * touches native memory.
 */
final class PilBilinear {
    private PilBilinear() {}

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** The resized picture ({@code in} itself when the size does not change, as PIL copies). */
    static RgbImage resize(RgbImage in, int outW, int outH) {
        if (outW <= 0 || outH <= 0) throw new IllegalArgumentException("resize to " + outW + "x" + outH);
        RgbImage img = in;
        // PIL resizes horizontally first, rounding the intermediate picture to 8 bits.
        if (outW != in.width()) img = horizontal(img, outW);
        if (outH != in.height()) img = vertical(img, outH);
        return img;
    }

    /** Filter taps of one output pixel: the first input index and fixed-point weights. */
    private record Taps(int[] start, int[][] weights) {}

    private static double triangle(double x) {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /** {@code precompute_coeffs} + {@code normalize_coeffs_8bpc} for the bilinear filter (support 1). */
    private static Taps taps(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = 1.0 * filterscale;
        int[] start = new int[outSize];
        int[][] weights = new int[outSize][];
        double ss = 1.0 / filterscale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5); // C truncation toward zero, as in PIL
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double[] k = new double[Math.max(xmax, 0)];
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = triangle((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            int[] fixed = new int[k.length];
            for (int x = 0; x < k.length; x++) {
                double v = ww != 0.0 ? k[x] / ww : k[x];
                fixed[x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            weights[xx] = fixed;
        }
        return new Taps(start, weights);
    }

    private static int clip8(int in) {
        if (in >= (1 << PRECISION_BITS << 8)) return 255;
        if (in <= 0) return 0;
        return in >> PRECISION_BITS;
    }

    private static RgbImage horizontal(RgbImage in, int outW) {
        int inW = in.width(), h = in.height();
        Taps t = taps(inW, outW);
        byte[] src = in.data();
        byte[] dst = new byte[outW * h * 3];
        for (int y = 0; y < h; y++) {
            int rowIn = y * inW * 3, rowOut = y * outW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int[] k = t.weights()[xx];
                int base = rowIn + t.start()[xx] * 3;
                int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                for (int x = 0; x < k.length; x++) {
                    int p = base + x * 3;
                    s0 += (src[p] & 0xFF) * k[x];
                    s1 += (src[p + 1] & 0xFF) * k[x];
                    s2 += (src[p + 2] & 0xFF) * k[x];
                }
                int o = rowOut + xx * 3;
                dst[o] = (byte) clip8(s0);
                dst[o + 1] = (byte) clip8(s1);
                dst[o + 2] = (byte) clip8(s2);
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH) {
        int w = in.width(), inH = in.height();
        Taps t = taps(inH, outH);
        byte[] src = in.data();
        byte[] dst = new byte[w * outH * 3];
        int stride = w * 3;
        for (int yy = 0; yy < outH; yy++) {
            int[] k = t.weights()[yy];
            int ymin = t.start()[yy];
            for (int x = 0; x < w; x++) {
                int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                int base = ymin * stride + x * 3;
                for (int y = 0; y < k.length; y++) {
                    int p = base + y * stride;
                    s0 += (src[p] & 0xFF) * k[y];
                    s1 += (src[p + 1] & 0xFF) * k[y];
                    s2 += (src[p + 2] & 0xFF) * k[y];
                }
                int o = yy * stride + x * 3;
                dst[o] = (byte) clip8(s0);
                dst[o + 1] = (byte) clip8(s1);
                dst[o + 2] = (byte) clip8(s2);
            }
        }
        return new RgbImage(w, outH, dst);
    }
}
