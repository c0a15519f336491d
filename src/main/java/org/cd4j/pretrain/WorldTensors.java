package org.cd4j.pretrain;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;

import java.awt.image.BufferedImage;
import java.util.List;

/** Pictures as the VAE sees them: (B, 3, H, W) float32 in [-1, 1]. */
final class WorldTensors {
    private WorldTensors() {}

    /** Stacks the pictures (all of one size), optionally the crop at (left, top) of side {@code crop} of each. */
    static Tensor of(List<BufferedImage> images, int[] lefts, int[] tops, int crop) {
        int w = crop > 0 ? crop : images.get(0).getWidth();
        int h = crop > 0 ? crop : images.get(0).getHeight();
        float[] out = new float[images.size() * 3 * h * w];
        int plane = h * w;
        for (int b = 0; b < images.size(); b++) {
            BufferedImage img = images.get(b);
            int x0 = crop > 0 ? lefts[b] : 0, y0 = crop > 0 ? tops[b] : 0;
            int[] argb = img.getRGB(x0, y0, w, h, null, 0, w);
            int base = b * 3 * plane;
            for (int i = 0; i < plane; i++) {
                int p = argb[i];
                out[base + i] = ((p >> 16) & 0xFF) / 127.5f - 1f;
                out[base + plane + i] = ((p >> 8) & 0xFF) / 127.5f - 1f;
                out[base + 2 * plane + i] = (p & 0xFF) / 127.5f - 1f;
            }
        }
        return Tensors.fromFloats(out, images.size(), 3, h, w);
    }

    static Tensor of(List<BufferedImage> images) {
        return of(images, null, null, 0);
    }
}
