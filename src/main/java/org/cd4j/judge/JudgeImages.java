package org.cd4j.judge;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;

import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Pictures as the judge reads them: {@code (3, 64, 64)} planes of RGB in [-1, 1] (the pipeline's
 * {@code x / 127.5 - 1}). A square picture of another size is resized to 64×64 (area averaging
 * when shrinking, bilinear when enlarging), so a model sampled at 128×128 can still be judged; a
 * picture that is not square is refused, since squeezing it would change the object's shape and
 * size. Alpha, if any, is ignored.
 */
public final class JudgeImages {
    private JudgeImages() {}

    /** The {@code 3 × 64 × 64} planes of {@code img}, R then G then B, row-major. */
    public static float[] pixels(BufferedImage img) {
        int s = Judge.SIDE;
        int[] argb = img.getRGB(0, 0, s, s, null, 0, s);
        int plane = s * s;
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            out[i] = ((p >> 16) & 0xFF) / 127.5f - 1f;
            out[plane + i] = ((p >> 8) & 0xFF) / 127.5f - 1f;
            out[2 * plane + i] = (p & 0xFF) / 127.5f - 1f;
        }
        return out;
    }

    /** Stacks planes from {@link #pixels} into {@code (B, 3, 64, 64)}. */
    static Tensor stack(List<float[]> planes) {
        int n = 3 * Judge.SIDE * Judge.SIDE;
        float[] all = new float[planes.size() * n];
        for (int i = 0; i < planes.size(); i++) System.arraycopy(planes.get(i), 0, all, i * n, n);
        return Tensors.fromFloats(all, planes.size(), 3, Judge.SIDE, Judge.SIDE);
    }

    /** {@code img} itself when it is 64×64, else a 64×64 resized copy. */
    /**
     * @param index the picture's place in the caller's list, for error messages
     * @throws IllegalArgumentException naming the picture when it is null or not square
     */
    static BufferedImage to64(BufferedImage img, int index) {
        if (img == null) throw new IllegalArgumentException("picture " + index + " is null");
        int w = img.getWidth(), h = img.getHeight();
        if (w == Judge.SIDE && h == Judge.SIDE) return img;
        if (w != h) {
            throw new IllegalArgumentException("picture " + index + " is " + w + "x" + h
                    + "; the judge reads square pictures (64x64, other squares are resized)");
        }
        BufferedImage out = new BufferedImage(Judge.SIDE, Judge.SIDE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            // bilinear alone skips pixels when shrinking by more than 2: average areas instead
            Image src = w > Judge.SIDE ? img.getScaledInstance(Judge.SIDE, Judge.SIDE, Image.SCALE_AREA_AVERAGING) : img;
            g.drawImage(src, 0, 0, Judge.SIDE, Judge.SIDE, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
