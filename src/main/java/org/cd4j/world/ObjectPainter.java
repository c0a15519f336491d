package org.cd4j.world;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.LinearGradientPaint;
import java.awt.Paint;
import java.awt.RadialGradientPaint;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Arc2D;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;

/**
 * Draws the object of a scene in unit coordinates (its box is [-0.5, 0.5]², scaled to the size's
 * extent, rotated and moved to the scene's centre): each part is filled with its colour, painted
 * with the pattern, shaded with a gradient so it reads as a solid, and outlined. The concepts'
 * shape details are drawn here, in their category's code.
 */
final class ObjectPainter {
    private final Graphics2D g;
    private final Scene s;
    private final double phase;
    private final BasicStroke outline;

    /** How a part is lit. */
    private enum Shade { ROUND, CYLINDER, FLAT, TOP, SIDE }

    private static final Color TRUNK = new Color(112, 72, 36), DARK_TRUNK = new Color(70, 42, 20),
            DOOR = new Color(92, 58, 34), GLASS = new Color(205, 228, 246), RIBBON = Colour.WHITE.awt();

    private ObjectPainter(Graphics2D g, Scene s, double phase, double extentPx) {
        this.g = g;
        this.s = s;
        this.phase = phase;
        // about one pixel wide whatever the size
        this.outline = new BasicStroke((float) (1.0 / extentPx), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    static void paint(Graphics2D g, Scene s, int side, double phase) {
        double ext = s.size().extent() * side, cx = s.x() * side, cy = s.y() * side;
        if (s.background() != Background.SKY) { // a soft contact shadow, except for things in the air
            g.setColor(new Color(0, 0, 0, 55));
            g.fill(new Ellipse2D.Double(cx - ext * 0.42, cy + ext * 0.37, ext * 0.84, ext * 0.16));
        }
        AffineTransform saved = g.getTransform();
        g.translate(cx, cy);
        g.rotate(s.angle());
        g.scale(ext, ext);
        ObjectPainter p = new ObjectPainter(g, s, phase, ext);
        switch (s.category()) {
            case BALL -> p.ball();
            case CUP -> p.cup();
            case BOX -> p.box();
            case STAR -> p.star();
            case TREE -> p.tree();
            case HOUSE -> p.house();
        }
        g.setTransform(saved);
    }

    private void ball() {
        Shape ball = new Ellipse2D.Double(-0.5, -0.5, 1, 1);
        body(ball, s.colour().awt(), ball.getBounds2D(), Shade.ROUND, null);
        g.setColor(new Color(255, 255, 255, 170)); // specular highlight
        g.fill(new Ellipse2D.Double(-0.3, -0.33, 0.16, 0.11));
    }

    private void cup() {
        Area handle = new Area(new Ellipse2D.Double(0.02, -0.18, 0.42, 0.48));
        handle.subtract(new Area(new Ellipse2D.Double(0.11, -0.09, 0.24, 0.30)));
        handle.intersect(new Area(new Rectangle2D.Double(0.12, -0.5, 0.4, 1)));
        body(handle, s.colour().awt(), null, Shade.FLAT, null);
        Path2D.Double cup = new Path2D.Double();
        cup.moveTo(-0.42, -0.32);
        cup.lineTo(0.22, -0.32);
        cup.lineTo(0.15, 0.38);
        cup.quadTo(0.14, 0.45, 0.07, 0.45);
        cup.lineTo(-0.27, 0.45);
        cup.quadTo(-0.34, 0.45, -0.35, 0.38);
        cup.closePath();
        Runnable rimBand = s.concept() != Concept.ZIGZAG_CUP ? null : () -> {
            g.setColor(s.patternColour().awt());
            g.fill(new Rectangle2D.Double(-0.5, -0.32, 1, 0.11));
        };
        body(cup, s.colour().awt(), cup.getBounds2D(), Shade.CYLINDER, rimBand);
        Shape opening = new Ellipse2D.Double(-0.42, -0.38, 0.64, 0.12);
        g.setColor(scaled(s.colour().awt(), 0.45));
        g.fill(opening);
        stroke(opening, s.colour().awt());
    }

    private void box() {
        Rectangle2D all = new Rectangle2D.Double(-0.45, -0.42, 0.9, 0.87);
        Shape front = new Rectangle2D.Double(-0.45, -0.22, 0.66, 0.67);
        Shape top = polygon(-0.45, -0.22, 0.21, -0.22, 0.45, -0.42, -0.21, -0.42);
        Shape side = polygon(0.21, -0.22, 0.45, -0.42, 0.45, 0.25, 0.21, 0.45);
        boolean gift = s.concept() == Concept.GIFT_BOX;
        body(front, s.colour().awt(), all, Shade.FLAT, !gift ? null : () -> {
            g.setColor(RIBBON);
            g.fill(new Rectangle2D.Double(-0.17, -0.3, 0.1, 0.8));
            g.fill(new Rectangle2D.Double(-0.5, 0.06, 0.75, 0.08));
        });
        body(top, s.colour().awt(), all, Shade.TOP, !gift ? null : () -> {
            g.setColor(RIBBON);
            g.fill(polygon(-0.17, -0.22, -0.07, -0.22, 0.17, -0.42, 0.07, -0.42));
            g.fill(new Rectangle2D.Double(-0.5, -0.345, 1, 0.05));
        });
        body(side, s.colour().awt(), all, Shade.SIDE, !gift ? null : () -> {
            g.setColor(RIBBON);
            g.fill(polygon(0.21, 0.06, 0.45, -0.14, 0.45, -0.06, 0.21, 0.14));
        });
        if (gift) { // the bow on top
            for (int k = -1; k <= 1; k += 2) {
                Shape loop = AffineTransform.getRotateInstance(k * 0.5, 0, -0.33)
                        .createTransformedShape(new Ellipse2D.Double(k > 0 ? 0 : -0.2, -0.4, 0.2, 0.12));
                g.setColor(RIBBON);
                g.fill(loop);
                stroke(loop, RIBBON);
            }
            Shape knot = new Ellipse2D.Double(-0.04, -0.37, 0.08, 0.07);
            g.setColor(RIBBON);
            g.fill(knot);
            stroke(knot, RIBBON);
        }
    }

    private void star() {
        double[] xy = new double[20];
        for (int i = 0; i < 10; i++) {
            double r = (i & 1) == 0 ? 0.5 : 0.22, a = -Math.PI / 2 + i * Math.PI / 5;
            xy[2 * i] = r * Math.cos(a);
            xy[2 * i + 1] = 0.05 + r * Math.sin(a);
        }
        Shape star = polygon(xy);
        body(star, s.colour().awt(), star.getBounds2D(), Shade.ROUND, null);
    }

    private void tree() {
        Shape trunk = new Rectangle2D.Double(-0.08, 0.12, 0.16, 0.38);
        body(trunk, s.colour() == Colour.BROWN ? DARK_TRUNK : TRUNK, null, Shade.CYLINDER, null);
        Area crown = new Area(new Ellipse2D.Double(-0.3, -0.5, 0.6, 0.6));
        crown.add(new Area(new Ellipse2D.Double(-0.48, -0.24, 0.48, 0.46)));
        crown.add(new Area(new Ellipse2D.Double(0.0, -0.24, 0.48, 0.46)));
        crown.add(new Area(new Ellipse2D.Double(-0.26, -0.22, 0.52, 0.48)));
        body(crown, s.colour().awt(), crown.getBounds2D(), Shade.ROUND, null);
    }

    private void house() {
        Shape walls = new Rectangle2D.Double(-0.38, -0.05, 0.76, 0.5);
        body(walls, s.colour().awt(), walls.getBounds2D(), Shade.FLAT, null);
        Shape roof = s.concept() == Concept.DOME_HOUSE
                ? new Arc2D.Double(-0.42, -0.44, 0.84, 0.84, 0, 180, Arc2D.CHORD)
                : polygon(-0.48, -0.02, 0.48, -0.02, 0, -0.46);
        body(roof, scaled(s.colour().awt(), 0.62), null, Shade.FLAT, null);
        body(new Rectangle2D.Double(-0.08, 0.17, 0.16, 0.28), DOOR, null, Shade.FLAT, null);
        for (double x : new double[] {-0.3, 0.15}) {
            body(new Rectangle2D.Double(x, 0.04, 0.15, 0.14), GLASS, null, Shade.FLAT, null);
            g.setColor(scaled(GLASS, 0.4));
            g.draw(new Rectangle2D.Double(x + 0.075, 0.04, 0, 0.14)); // the window's cross bar
        }
    }

    /** Fills a part, paints the pattern over {@code patternBounds} (none if null) and any extra, shades, outlines. */
    private void body(Shape shape, Color fill, Rectangle2D patternBounds, Shade shade, Runnable extra) {
        g.setColor(fill);
        g.fill(shape);
        Shape oldClip = g.getClip();
        g.clip(shape);
        if (patternBounds != null) PatternFill.paint(g, s.pattern(), s.patternColour(), patternBounds, phase);
        if (extra != null) extra.run();
        g.setPaint(shading(shade, shape.getBounds2D()));
        g.fill(shape);
        g.setClip(oldClip);
        stroke(shape, fill);
    }

    /** Outlines a part in a dark shade of its own colour. */
    private void stroke(Shape shape, Color of) {
        g.setColor(scaled(of, 0.4));
        g.setStroke(outline);
        g.draw(shape);
    }

    private static Paint shading(Shade shade, Rectangle2D b) {
        Color clear = new Color(255, 255, 255, 0), dusk = new Color(0, 0, 0, 0);
        return switch (shade) {
            case ROUND -> new RadialGradientPaint(
                    new Point2D.Double(b.getCenterX(), b.getCenterY()), (float) (0.75 * Math.max(b.getWidth(), b.getHeight())),
                    new Point2D.Double(b.getCenterX() - 0.22 * b.getWidth(), b.getCenterY() - 0.25 * b.getHeight()),
                    new float[] {0f, 0.35f, 0.7f, 1f},
                    new Color[] {new Color(255, 255, 255, 130), clear, new Color(0, 0, 0, 50), new Color(0, 0, 0, 140)},
                    RadialGradientPaint.CycleMethod.NO_CYCLE);
            case CYLINDER -> new LinearGradientPaint(
                    new Point2D.Double(b.getMinX(), 0), new Point2D.Double(b.getMaxX(), 0),
                    new float[] {0f, 0.3f, 0.6f, 1f},
                    new Color[] {new Color(0, 0, 0, 60), new Color(255, 255, 255, 100), dusk, new Color(0, 0, 0, 120)});
            case FLAT -> new LinearGradientPaint(
                    new Point2D.Double(0, b.getMinY()), new Point2D.Double(0, b.getMaxY()),
                    new float[] {0f, 1f}, new Color[] {new Color(255, 255, 255, 45), new Color(0, 0, 0, 55)});
            case TOP -> new Color(255, 255, 255, 75);
            case SIDE -> new LinearGradientPaint(
                    new Point2D.Double(0, b.getMinY()), new Point2D.Double(0, b.getMaxY()),
                    new float[] {0f, 1f}, new Color[] {new Color(0, 0, 0, 70), new Color(0, 0, 0, 120)});
        };
    }

    private static Shape polygon(double... xy) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.length; i += 2) p.lineTo(xy[i], xy[i + 1]);
        p.closePath();
        return p;
    }

    private static Color scaled(Color c, double f) {
        return new Color((int) (c.getRed() * f), (int) (c.getGreen() * f), (int) (c.getBlue() * f));
    }
}
