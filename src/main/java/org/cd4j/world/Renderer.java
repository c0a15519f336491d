package org.cd4j.world;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * Draws a scene: backdrop, the object with its pattern, shading and outline, then a little sensor
 * noise. Everything random comes from the scene's detail seed, so the same scene gives the same
 * pixels.
 */
final class Renderer {
    private Renderer() {}

    /** Standard deviation of the per-pixel noise, in 8-bit levels. */
    static final double NOISE = 3.0;

    static BufferedImage render(Scene s) {
        int side = World.RESOLUTION;
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setRenderingHint(RenderingHints.KEY_COLOR_RENDERING, RenderingHints.VALUE_COLOR_RENDER_QUALITY);
            SplittableRandom rng = Seeds.random(s.detailSeed(), 0x5CE4E);
            BackdropPainter.paint(g, s.background(), side, rng);
            ObjectPainter.paint(g, s, side, rng.nextDouble());
        } finally {
            g.dispose();
        }
        addNoise(img, Seeds.random(s.detailSeed(), 0x40155));
        return img;
    }

    private static void addNoise(BufferedImage img, SplittableRandom rng) {
        int w = img.getWidth(), h = img.getHeight();
        int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < px.length; i++) {
            // mostly brightness noise, with a little of each channel's own
            double common = gaussian(rng) * NOISE;
            int r = clamp(((px[i] >> 16) & 0xFF) + common + gaussian(rng));
            int g = clamp(((px[i] >> 8) & 0xFF) + common + gaussian(rng));
            int b = clamp((px[i] & 0xFF) + common + gaussian(rng));
            px[i] = (r << 16) | (g << 8) | b;
        }
        img.setRGB(0, 0, w, h, px, 0, w);
    }

    /** A standard normal draw (Box–Muller; SplittableRandom has no nextGaussian on Java 17). */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
