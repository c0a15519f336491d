package org.cd4j.pipeline;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.F;
import org.cd4j.nn.Tensors;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Converting decoded image tensors to pictures exactly as diffusers' image processor does:
 * {@code (x / 2 + 0.5).clamp(0, 1)}, then {@code round(x * 255)} to 8 bits.
 */
public final class Images {
    private Images() {}

    /** (N, 3, H, W) images nominally in [-1, 1] → N RGB pictures. */
    public static List<BufferedImage> toImages(Tensor decoded) {
        long[] s = Tensors.shape(decoded);
        if (s.length != 4 || s[1] != 3) throw new IllegalArgumentException("expected (N, 3, H, W) images");
        float[] v;
        try (NoGradGuard g = new NoGradGuard()) {
            v = Tensors.toFloats(F.clamp(F.add(decoded.div(new org.bytedeco.pytorch.Scalar(2.0)), 0.5), 0.0, 1.0));
        }
        int n = (int) s[0], h = (int) s[2], w = (int) s[3];
        int plane = h * w;
        List<BufferedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            int base = i * 3 * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = y * w + x;
                    int r = to8(v[base + p]), gr = to8(v[base + plane + p]), b = to8(v[base + 2 * plane + p]);
                    img.setRGB(x, y, (r << 16) | (gr << 8) | b);
                }
            }
            out.add(img);
        }
        return out;
    }

    /** numpy's {@code (x * 255).round()}: round half to even. */
    static int to8(float x) {
        return (int) Math.rint(x * 255.0f);
    }
}
