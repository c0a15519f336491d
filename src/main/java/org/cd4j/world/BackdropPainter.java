package org.cd4j.world;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.SplittableRandom;

/**
 * Paints the backgrounds, in muted colours so that the objects' named colours stand out, with a
 * little seeded variety (tints, clouds, grass blades, wood grain).
 */
final class BackdropPainter {
    private BackdropPainter() {}

    /** Pairs of muted tints for striped and checkered backgrounds. */
    private static final int[][] TINTS = {
            {0xDADCE2, 0xB8BCC6}, {0xE8DEC8, 0xC9BC9E}, {0xD2E0D0, 0xACC2A8}, {0xE2D2D8, 0xC2ABB4}};

    static void paint(Graphics2D g, Background bg, int side, SplittableRandom rng) {
        switch (bg) {
            case PLAIN -> plain(g, side, rng);
            case SKY -> sky(g, side, rng);
            case GRASS -> grass(g, side, rng);
            case STRIPES -> stripes(g, side, rng);
            case CHECKS -> checks(g, side, rng);
            case WOOD -> wood(g, side, rng);
        }
    }

    private static void plain(Graphics2D g, int side, SplittableRandom rng) {
        int base = 205 + rng.nextInt(30);
        int warm = rng.nextInt(12) - 6; // a slightly warm or cool grey
        Color top = rgb(base + warm, base, base - warm);
        Color bottom = rgb(base + warm - 28, base - 28, base - warm - 28);
        g.setPaint(new GradientPaint(0, 0, top, 0, side, bottom));
        g.fill(new Rectangle2D.Double(0, 0, side, side));
    }

    private static void sky(Graphics2D g, int side, SplittableRandom rng) {
        int shift = rng.nextInt(25);
        g.setPaint(new GradientPaint(0, 0, rgb(62 + shift, 122 + shift, 212), 0, side, rgb(178, 212, 242)));
        g.fill(new Rectangle2D.Double(0, 0, side, side));
        int clouds = 1 + rng.nextInt(3);
        for (int c = 0; c < clouds; c++) {
            double cx = rng.nextDouble() * side, cy = rng.nextDouble() * side * 0.8, w = side * (0.18 + rng.nextDouble() * 0.15);
            g.setColor(new Color(255, 255, 255, 205));
            for (int k = 0; k < 4; k++) {
                double dx = (k - 1.5) * w * 0.35, r = w * (k == 1 || k == 2 ? 0.42 : 0.3);
                g.fill(new Ellipse2D.Double(cx + dx - r, cy - r * (k == 1 || k == 2 ? 1.2 : 0.8), 2 * r, 2 * r * 0.8));
            }
        }
    }

    private static void grass(Graphics2D g, int side, SplittableRandom rng) {
        double horizon = side * (0.18 + rng.nextDouble() * 0.12);
        g.setPaint(new GradientPaint(0, 0, rgb(170, 200, 230), 0, (float) horizon, rgb(206, 226, 238)));
        g.fill(new Rectangle2D.Double(0, 0, side, horizon));
        g.setPaint(new GradientPaint(0, (float) horizon, rgb(120, 178, 78), 0, side, rgb(62, 128, 42)));
        g.fill(new Rectangle2D.Double(0, horizon, side, side - horizon));
        g.setStroke(new BasicStroke(0.8f));
        for (int i = 0; i < 140; i++) {
            double x = rng.nextDouble() * side, y = horizon + rng.nextDouble() * (side - horizon);
            double len = 1.5 + 3 * (y - horizon) / (side - horizon); // nearer blades look longer
            int tone = rng.nextInt(60) - 30;
            g.setColor(rgb(80 + tone, 150 + tone, 50 + tone / 2));
            g.draw(new Line2D.Double(x, y, x + rng.nextDouble() - 0.5, y - len));
        }
    }

    private static void stripes(Graphics2D g, int side, SplittableRandom rng) {
        int[] pair = TINTS[rng.nextInt(TINTS.length)];
        double width = 5 + rng.nextInt(4), offset = rng.nextDouble() * width * 2;
        g.setColor(new Color(pair[0]));
        g.fill(new Rectangle2D.Double(0, 0, side, side));
        g.setColor(new Color(pair[1]));
        for (double x = -2 * width + offset; x < side; x += 2 * width) g.fill(new Rectangle2D.Double(x, 0, width, side));
    }

    private static void checks(Graphics2D g, int side, SplittableRandom rng) {
        int[] pair = TINTS[rng.nextInt(TINTS.length)];
        int cell = 7 + rng.nextInt(4);
        double ox = rng.nextDouble() * cell, oy = rng.nextDouble() * cell;
        g.setColor(new Color(pair[0]));
        g.fill(new Rectangle2D.Double(0, 0, side, side));
        g.setColor(new Color(pair[1]));
        for (int i = -1; i * cell < side; i++)
            for (int j = -1; j * cell < side; j++)
                if (((i + j) & 1) == 0) g.fill(new Rectangle2D.Double(ox + i * cell, oy + j * cell, cell, cell));
    }

    private static void wood(Graphics2D g, int side, SplittableRandom rng) {
        double edge = side * (0.25 + rng.nextDouble() * 0.1);
        g.setPaint(new GradientPaint(0, 0, rgb(228, 222, 208), 0, (float) edge, rgb(206, 198, 182)));
        g.fill(new Rectangle2D.Double(0, 0, side, edge));
        int tone = rng.nextInt(30) - 15;
        g.setPaint(new GradientPaint(0, (float) edge, rgb(196 + tone, 146 + tone, 92 + tone), 0, side,
                rgb(150 + tone, 100 + tone, 56 + tone)));
        g.fill(new Rectangle2D.Double(0, edge, side, side - edge));
        g.setStroke(new BasicStroke(0.6f));
        for (int i = 0; i < 22; i++) { // grain
            double y = edge + rng.nextDouble() * (side - edge), x = rng.nextDouble() * side;
            g.setColor(new Color(90, 55, 25, 60 + rng.nextInt(60)));
            g.draw(new Line2D.Double(x, y, x + 8 + rng.nextDouble() * 20, y + rng.nextDouble() - 0.5));
        }
        g.setColor(new Color(80, 48, 22, 150));
        g.setStroke(new BasicStroke(1f));
        for (double y = edge + 9 + rng.nextDouble() * 4; y < side; y += 11) g.draw(new Line2D.Double(0, y, side, y));
        g.setColor(new Color(110, 70, 35));
        g.draw(new Line2D.Double(0, edge, side, edge)); // the table's edge
    }

    static Color rgb(int r, int g, int b) {
        return new Color(clamp(r), clamp(g), clamp(b));
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
