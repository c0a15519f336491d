package org.cd4j.world;

import java.awt.BasicStroke;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;

/**
 * Paints a pattern over a region, in the object's unit coordinates (the caller clips to the
 * object's shape). Features are sized so they stay visible on a small object at 64×64.
 */
final class PatternFill {
    private PatternFill() {}

    /**
     * @param bounds the region to cover (object units)
     * @param phase  in [0, 1): shifts the pattern so no two objects are painted identically
     */
    static void paint(Graphics2D g, Pattern pattern, Colour colour, Rectangle2D bounds, double phase) {
        g.setColor(colour.awt());
        switch (pattern) {
            case PLAIN -> { }
            case DOTS -> dots(g, bounds, phase);
            case STRIPES -> stripes(g, bounds, phase);
            case ZIGZAG -> zigzag(g, bounds, phase);
            case CHECKS -> checks(g, bounds, phase);
        }
    }

    private static void dots(Graphics2D g, Rectangle2D b, double phase) {
        double step = 0.24, r = 0.07;
        int row = 0;
        for (double y = b.getMinY() - step + phase * step; y < b.getMaxY() + step; y += step * 0.87, row++) {
            double shift = (row & 1) * step / 2; // rows offset by half a step: a hexagonal layout
            for (double x = b.getMinX() - step + shift + phase * step; x < b.getMaxX() + step; x += step)
                g.fill(new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r));
        }
    }

    private static void stripes(Graphics2D g, Rectangle2D b, double phase) {
        double period = 0.22, band = 0.09;
        for (double y = b.getMinY() - period + phase * period; y < b.getMaxY(); y += period)
            g.fill(new Rectangle2D.Double(b.getMinX(), y, b.getWidth(), band));
    }

    private static void zigzag(Graphics2D g, Rectangle2D b, double phase) {
        double period = 0.2, amp = 0.08, y0 = b.getCenterY();
        Path2D.Double p = new Path2D.Double();
        boolean up = true;
        double x = b.getMinX() - period * (1 + phase);
        p.moveTo(x, y0 + amp);
        for (; x < b.getMaxX() + period; x += period / 2, up = !up) p.lineTo(x + period / 2, y0 + (up ? -amp : amp));
        g.setStroke(new BasicStroke(0.1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
        g.draw(p);
    }

    private static void checks(Graphics2D g, Rectangle2D b, double phase) {
        double cell = 0.17;
        double x0 = b.getMinX() - cell * (1 + phase), y0 = b.getMinY() - cell * (1 + phase);
        for (int i = 0; x0 + i * cell < b.getMaxX(); i++)
            for (int j = 0; y0 + j * cell < b.getMaxY(); j++)
                if (((i + j) & 1) == 0) g.fill(new Rectangle2D.Double(x0 + i * cell, y0 + j * cell, cell, cell));
    }
}
