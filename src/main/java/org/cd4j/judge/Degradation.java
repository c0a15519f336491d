package org.cd4j.judge;

import java.util.SplittableRandom;

/**
 * What a small diffusion model does to a picture, imitated on renders so the judge learns to
 * read through it: blur (a VAE decodes soft edges), loss of resolution (a small latent grid),
 * fine and blotchy noise (an unfinished denoising), milder or stronger contrast and saturation.
 * None of them moves a hue, so colour labels stay true. Everything works in place on the
 * {@code 3 × 64 × 64} planes of {@link JudgeImages#pixels} and draws from the given generator
 * only, so a seed fixes the result.
 */
final class Degradation {
    private Degradation() {}

    private static final int S = Judge.SIDE;
    private static final int PLANE = S * S;

    /**
     * A random mix of the degradations, each taken with its own chance, always at least a mild
     * blur or noise. Drawn from {@code rng} in a fixed order.
     */
    static void random(float[] px, SplittableRandom rng) {
        boolean any = false;
        if (rng.nextDouble() < 0.35) {
            // a 20–48 pixel image enlarged back: what a coarse latent grid leaves
            resample(px, 20 + rng.nextInt(29));
            any = true;
        }
        if (rng.nextDouble() < 0.6) {
            blur(px, 0.4 + 1.1 * rng.nextDouble());
            any = true;
        }
        if (rng.nextDouble() < 0.3) blotches(px, 0.08 * rng.nextDouble(), rng);
        if (rng.nextDouble() < 0.5) contrast(px, 0.75 + 0.45 * rng.nextDouble(), 0.16 * rng.nextDouble() - 0.08);
        if (rng.nextDouble() < 0.3) saturation(px, 0.75 + 0.35 * rng.nextDouble());
        if (rng.nextDouble() < 0.6 || !any) noise(px, 0.01 + 0.09 * rng.nextDouble(), rng);
        clamp(px);
    }

    /** Mirrors left and right. */
    static void hflip(float[] px) {
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < S; y++) {
                int row = c * PLANE + y * S;
                for (int x = 0; x < S / 2; x++) {
                    float t = px[row + x];
                    px[row + x] = px[row + S - 1 - x];
                    px[row + S - 1 - x] = t;
                }
            }
        }
    }

    /** Separable Gaussian blur of standard deviation {@code sigma} pixels, edges repeated. */
    static void blur(float[] px, double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        float[] k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += k[i + r] = (float) Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= (float) sum;
        float[] tmp = new float[PLANE];
        for (int c = 0; c < 3; c++) {
            int base = c * PLANE;
            for (int y = 0; y < S; y++) {
                for (int x = 0; x < S; x++) {
                    float a = 0;
                    for (int i = -r; i <= r; i++) a += k[i + r] * px[base + y * S + clampIndex(x + i)];
                    tmp[y * S + x] = a;
                }
            }
            for (int y = 0; y < S; y++) {
                for (int x = 0; x < S; x++) {
                    float a = 0;
                    for (int i = -r; i <= r; i++) a += k[i + r] * tmp[clampIndex(y + i) * S + x];
                    px[base + y * S + x] = a;
                }
            }
        }
    }

    /** Shrinks to {@code side}×{@code side} (blurred first against aliasing) and enlarges back, both bilinear. */
    static void resample(float[] px, int side) {
        if (side >= S) return;
        blur(px, 0.5 * S / side);
        for (int c = 0; c < 3; c++) {
            float[] small = bilinear(px, c * PLANE, S, side);
            float[] back = bilinear(small, 0, side, S);
            System.arraycopy(back, 0, px, c * PLANE, PLANE);
        }
    }

    /** Independent Gaussian noise of standard deviation {@code sigma} on every value. */
    static void noise(float[] px, double sigma, SplittableRandom rng) {
        for (int i = 0; i < px.length; i++) px[i] += (float) (sigma * gaussian(rng));
    }

    /** Smooth coloured blotches: Gaussian noise on an 8×8 grid per channel, enlarged bilinearly. */
    static void blotches(float[] px, double sigma, SplittableRandom rng) {
        int g = 8;
        for (int c = 0; c < 3; c++) {
            float[] grid = new float[g * g];
            for (int i = 0; i < grid.length; i++) grid[i] = (float) (sigma * gaussian(rng));
            float[] up = bilinear(grid, 0, g, S);
            for (int i = 0; i < PLANE; i++) px[c * PLANE + i] += up[i];
        }
    }

    /** Scales the distance from the picture's mean by {@code factor}, then shifts by {@code shift}. */
    static void contrast(float[] px, double factor, double shift) {
        double mean = 0;
        for (float v : px) mean += v;
        mean /= px.length;
        for (int i = 0; i < px.length; i++) px[i] = (float) (mean + (px[i] - mean) * factor + shift);
    }

    /** Scales each pixel's distance from its own grey by {@code factor} (hue is kept). */
    static void saturation(float[] px, double factor) {
        for (int i = 0; i < PLANE; i++) {
            float grey = (px[i] + px[PLANE + i] + px[2 * PLANE + i]) / 3f;
            for (int c = 0; c < 3; c++) px[c * PLANE + i] = (float) (grey + (px[c * PLANE + i] - grey) * factor);
        }
    }

    /** Clamps into [-1, 1], as a decoded picture saved to 8 bits would be. */
    static void clamp(float[] px) {
        for (int i = 0; i < px.length; i++) px[i] = Math.max(-1f, Math.min(1f, px[i]));
    }

    /** Bilinear resize of one square plane (half-pixel centres, {@code align_corners=False}). */
    private static float[] bilinear(float[] src, int offset, int from, int to) {
        float[] out = new float[to * to];
        double scale = (double) from / to;
        for (int y = 0; y < to; y++) {
            double sy = Math.max(0, Math.min(from - 1, (y + 0.5) * scale - 0.5));
            int y0 = (int) sy, y1 = Math.min(y0 + 1, from - 1);
            float wy = (float) (sy - y0);
            for (int x = 0; x < to; x++) {
                double sx = Math.max(0, Math.min(from - 1, (x + 0.5) * scale - 0.5));
                int x0 = (int) sx, x1 = Math.min(x0 + 1, from - 1);
                float wx = (float) (sx - x0);
                float top = src[offset + y0 * from + x0] * (1 - wx) + src[offset + y0 * from + x1] * wx;
                float bottom = src[offset + y1 * from + x0] * (1 - wx) + src[offset + y1 * from + x1] * wx;
                out[y * to + x] = top * (1 - wy) + bottom * wy;
            }
        }
        return out;
    }

    private static int clampIndex(int i) {
        return i < 0 ? 0 : i >= S ? S - 1 : i;
    }

    /** A standard normal draw (Box–Muller). */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
