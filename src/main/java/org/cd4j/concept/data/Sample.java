package org.cd4j.concept.data;

import java.nio.file.Path;

/**
 * One training picture after augmentation, ready to collate.
 *
 * @param pixels {@code (3, size, size)} float32 in C order, values {@code x / 127.5 − 1}
 *     (0 = mid grey, the canvas colour around a zoomed-out picture)
 * @param size the resolution
 * @param mask {@code (maskSize, maskSize)} latent-resolution loss mask, 1 where the loss counts
 * @param maskSize {@code size / latent factor}
 * @param prompt the caption, with the zoom prefix when one applies
 * @param isPrior true for a class (regularisation) picture
 * @param source the picture file
 * @param variant the transform applied to {@link #source} (size, flip, scale and offsets): with
 *     the file it fully determines {@link #pixels}, see {@link #cacheKey}
 * @param reusable true when the transform has no random choice other than the flip, so the
 *     file only ever yields this variant or its mirror image and its encoded latent
 *     distribution may be computed once and reused (centre or single-position crops of class
 *     pictures; instance pictures without zoom augmentation)
 */
public record Sample(float[] pixels, int size, float[] mask, int maskSize, String prompt, boolean isPrior,
                     Path source, String variant, boolean reusable) {
    /** Checks the array sizes. */
    public Sample {
        if (pixels.length != 3 * size * size) throw new IllegalArgumentException("pixels do not hold 3x" + size + "x" + size);
        if (mask.length != maskSize * maskSize) throw new IllegalArgumentException("mask does not hold " + maskSize + "x" + maskSize);
    }

    /** A string that fully determines {@link #pixels}: equal keys mean equal pixels. */
    public String cacheKey() {
        return (isPrior ? "class|" : "instance|") + source + "|" + variant;
    }

    /**
     * True when no latent cell counts in the loss. The reference's mask keeps
     * {@code [top//f + 1 : (top + scale)//f − 1]} of each axis, which is empty when a zoomed-out
     * picture spans fewer than about three latent cells (possible at small resolutions, e.g.
     * 64 px: scale 21 at offset 2). The reference then divides by a zero mask sum and its loss
     * turns NaN; the mask is kept as the reference makes it, and the trainer is expected to
     * detect this and leave the sample's instance loss out.
     */
    public boolean maskIsEmpty() {
        for (float m : mask) {
            if (m != 0f) return false;
        }
        return true;
    }

    /** Mask value at latent row {@code r}, column {@code c}. */
    public float maskAt(int r, int c) {
        return mask[r * maskSize + c];
    }

    /** Pixel value of channel {@code ch} at row {@code y}, column {@code x}. */
    public float pixelAt(int ch, int y, int x) {
        return pixels[(ch * size + y) * size + x];
    }
}
