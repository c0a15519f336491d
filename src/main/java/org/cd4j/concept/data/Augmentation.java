package org.cd4j.concept.data;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The per-picture transforms of diffusers' {@code CustomDiffusionDataset}
 * ({@code train_custom_diffusion.py}, {@code preprocess} and {@code __getitem__}; reference
 * §1.4, "HF").
 *
 * <p><b>Instance pictures</b>: optional horizontal flip (p = 0.5 with {@code --hflip}); then,
 * with augmentation on, a random scale — {@code randint(size//3, size+1)} with probability 0.66
 * ("zoom out"), else {@code randint(int(1.2·size), int(1.4·size))} ("zoom in"); numpy's randint
 * excludes the upper bound. The picture is squashed (not cropped) to {@code scale × scale} with
 * PIL's antialiased bilinear filter; a larger picture is cropped at a random offset (mask all
 * ones), a smaller one pasted at a random offset on a mid-grey canvas with a latent mask that is
 * 1 on the covered cells minus a one-cell border:
 * {@code mask[top//f+1 : (top+scale)//f−1, left//f+1 : (left+scale)//f−1] = 1}. Below
 * {@code 0.6·size} the caption gets "a far away " or "very small ", above {@code size}
 * "zoomed in " or "close up ". Without augmentation the scale is {@code size}.
 *
 * <p><b>Deliberate difference</b>: when the picture fills the canvas exactly
 * ({@code scale == size}, always the case without augmentation) the mask is all ones. The
 * reference still applies the border there, which excludes ~6% of the loss area for nothing
 * (there is no grey edge to hide).
 *
 * <p><b>Class pictures</b>: optional flip, shorter side resized to {@code size} (PIL bilinear,
 * torchvision's size rule), then a centre crop ({@code --center-crop}) or a random crop; mask all
 * ones; caption unchanged.
 *
 * <p>All random choices come from the {@link DataRandom} handed in, in a fixed order (flip, scale
 * band, scale, top, left, prefix), so a sample is a pure function of its stream.
 */
public final class Augmentation {
    /** Instance pictures: numpy's {@code (x / 127.5 - 1.0).astype(float32)}, computed in double. */
    private static final float[] INSTANCE_UNIT = new float[256];
    /** Class pictures: torchvision's ToTensor + Normalize(0.5, 0.5), in float32 (may differ by 1 ulp). */
    private static final float[] CLASS_UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            INSTANCE_UNIT[v] = (float) (v / 127.5 - 1.0);
            CLASS_UNIT[v] = ((float) v / 255f - 0.5f) / 0.5f;
        }
    }

    private final int size;
    private final int factor;
    private final boolean hflip;
    private final boolean aug;
    private final boolean centerCrop;

    /**
     * @param size the training resolution
     * @param latentFactor the VAE's downscale factor (8 for Stable Diffusion); {@code size} must
     *     be a multiple of it
     * @param hflip random horizontal flips ({@code --hflip})
     * @param aug zoom augmentation (off with {@code --no-aug})
     * @param centerCrop centre-crop class pictures instead of cropping at random
     */
    public Augmentation(int size, int latentFactor, boolean hflip, boolean aug, boolean centerCrop) {
        if (latentFactor <= 0 || size <= 0 || size % latentFactor != 0) {
            throw new IllegalArgumentException("the resolution " + size + " must be a positive multiple of the latent factor "
                    + latentFactor);
        }
        this.size = size;
        this.factor = latentFactor;
        this.hflip = hflip;
        this.aug = aug;
        this.centerCrop = centerCrop;
    }

    /** The resolution. */
    public int size() {
        return size;
    }

    /** The side of the latent mask, {@code size / latentFactor}. */
    public int maskSize() {
        return size / factor;
    }

    /**
     * True when a class picture of w × h has a single crop position (centre crop, or a picture
     * whose resized shape is exactly the resolution), so only flips vary its pixels.
     */
    public boolean classCropFixed(int w, int h) {
        int[] r = resizedShape(w, h);
        return centerCrop || r[0] == size && r[1] == size;
    }

    /** The random choices for one instance picture. */
    public record InstanceDraw(boolean flip, int scale, int top, int left, String prefix) {}

    /** The random choices for one class picture (crop offsets in the resized picture). */
    public record ClassDraw(boolean flip, int top, int left) {}

    /** Draws an instance picture's choices, in the reference's order. */
    public InstanceDraw drawInstance(DataRandom rng) {
        boolean flip = hflip && rng.nextDouble() < 0.5;
        int scale = size;
        if (aug) {
            scale = rng.nextDouble() < 0.66
                    ? rng.nextInt(size / 3, size + 1)
                    : rng.nextInt((int) (1.2 * size), (int) (1.4 * size));
        }
        int outer = size, inner = scale;
        if (scale > size) {
            outer = scale;
            inner = size;
        }
        int top = rng.nextInt(0, outer - inner + 1);
        int left = rng.nextInt(0, outer - inner + 1);
        String prefix = "";
        if (scale < 0.6 * size) prefix = rng.nextBoolean() ? "a far away " : "very small ";
        else if (scale > size) prefix = rng.nextBoolean() ? "zoomed in " : "close up ";
        return new InstanceDraw(flip, scale, top, left, prefix);
    }

    /** Augments an instance picture. */
    public Sample instance(RgbImage img, String prompt, Path source, DataRandom rng) {
        return instance(img, prompt, source, drawInstance(rng));
    }

    /** Applies given choices to an instance picture. */
    public Sample instance(RgbImage img, String prompt, Path source, InstanceDraw d) {
        RgbImage im = d.flip() ? img.flipHorizontal() : img;
        RgbImage scaled = PilBilinear.resize(im, d.scale(), d.scale());
        float[] px = new float[3 * size * size]; // zeros: the mid-grey canvas
        int m = maskSize();
        float[] mask = new float[m * m];
        if (d.scale() >= size) {
            // zoom in (or an exact fit): crop size × size at (top, left); everything is picture
            writePixels(scaled, d.left(), d.top(), 0, 0, size, px, INSTANCE_UNIT);
            java.util.Arrays.fill(mask, 1f);
        } else {
            writePixels(scaled, 0, 0, d.left(), d.top(), d.scale(), px, INSTANCE_UNIT);
            int r0 = py(d.top() / factor + 1, m), r1 = py((d.top() + d.scale()) / factor - 1, m);
            int c0 = py(d.left() / factor + 1, m), c1 = py((d.left() + d.scale()) / factor - 1, m);
            for (int r = r0; r < r1; r++) {
                for (int c = c0; c < c1; c++) mask[r * m + c] = 1f;
            }
        }
        String variant = String.format(Locale.ROOT, "size=%d|flip=%d|scale=%d|top=%d|left=%d",
                size, d.flip() ? 1 : 0, d.scale(), d.top(), d.left());
        // without zoom the scale is the size and both offsets are 0: only the flip varies
        return new Sample(px, size, mask, m, d.prefix() + prompt, false, source, variant, !aug);
    }

    /** A numpy slice bound: negative counts from the end, then clamped to [0, n]. */
    private static int py(int i, int n) {
        if (i < 0) i += n;
        return Math.max(0, Math.min(i, n));
    }

    /** torchvision's {@code Resize(size)} output for a w × h picture: shorter side to size. */
    int[] resizedShape(int w, int h) {
        if (w <= h) return new int[] {size, (int) ((long) size * h / (double) w)};
        return new int[] {(int) ((long) size * w / (double) h), size};
    }

    /** Draws a class picture's choices for a source picture of w × h. */
    public ClassDraw drawClass(int w, int h, DataRandom rng) {
        boolean flip = hflip && rng.nextDouble() < 0.5;
        int[] r = resizedShape(w, h);
        int top, left;
        if (centerCrop) {
            // torchvision: int(round((h - size) / 2.0)), Python rounds halves to even
            top = (int) Math.rint((r[1] - size) / 2.0);
            left = (int) Math.rint((r[0] - size) / 2.0);
        } else {
            top = rng.nextInt(0, r[1] - size + 1);
            left = rng.nextInt(0, r[0] - size + 1);
        }
        return new ClassDraw(flip, top, left);
    }

    /** Augments a class picture. */
    public Sample classImage(RgbImage img, String caption, Path source, DataRandom rng) {
        return classImage(img, caption, source, drawClass(img.width(), img.height(), rng));
    }

    /** Applies given choices to a class picture. */
    public Sample classImage(RgbImage img, String caption, Path source, ClassDraw d) {
        RgbImage im = d.flip() ? img.flipHorizontal() : img;
        int[] r = resizedShape(im.width(), im.height());
        RgbImage resized = PilBilinear.resize(im, r[0], r[1]);
        float[] px = new float[3 * size * size];
        writePixels(resized, d.left(), d.top(), 0, 0, size, px, CLASS_UNIT);
        int m = maskSize();
        float[] mask = new float[m * m];
        java.util.Arrays.fill(mask, 1f);
        String variant = String.format(Locale.ROOT, "size=%d|flip=%d|top=%d|left=%d",
                size, d.flip() ? 1 : 0, d.top(), d.left());
        return new Sample(px, size, mask, m, caption, true, source, variant, classCropFixed(img.width(), img.height()));
    }

    /**
     * Copies an {@code n × n} block of {@code src} starting at (sx, sy) into the CHW canvas at
     * (dx, dy), converting 0..255 to [−1, 1] with {@code unit}.
     */
    private void writePixels(RgbImage src, int sx, int sy, int dx, int dy, int n, float[] out, float[] unit) {
        byte[] d = src.data();
        int plane = size * size;
        for (int y = 0; y < n; y++) {
            int in = ((sy + y) * src.width() + sx) * 3;
            int o = (dy + y) * size + dx;
            for (int x = 0; x < n; x++, in += 3, o++) {
                out[o] = unit[d[in] & 0xFF];
                out[plane + o] = unit[d[in + 1] & 0xFF];
                out[2 * plane + o] = unit[d[in + 2] & 0xFF];
            }
        }
    }
}
