package org.cd4j.judge;

import org.cd4j.world.Background;
import org.cd4j.world.Colour;
import org.cd4j.world.Concept;
import org.cd4j.world.Pattern;
import org.cd4j.world.Sample;
import org.cd4j.world.Scene;
import org.cd4j.world.Size;
import org.cd4j.world.World;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * The pictures the judge learns from, a pure function of a seed and an index: ordinary objects
 * of the pretraining distribution, the held-out concepts anywhere in any size and background,
 * and hard negatives — ordinary objects of the concepts' categories, and near misses that share
 * all but one of a concept's colour, pattern and pattern colour — so "is it the concept?" is
 * answered from the whole combination (and shape detail), not from the category alone.
 */
public final class TrainingScenes {
    /** Where a picture comes from. */
    public enum Kind { ORDINARY, CONCEPT, PRIOR, NEAR_MISS }

    /** One picture and the scene it shows. */
    public record Example(Kind kind, Scene scene, BufferedImage image) {}

    /** Shares of the kinds, in {@link Kind} order. */
    static final double[] SHARES = {0.50, 0.20, 0.15, 0.15};
    /** Largest rotation either way: a little more than the world's 0.26, as generated objects lean more. */
    static final double MAX_ANGLE = 0.35;

    private final long seed;
    private final World world;

    TrainingScenes(long seed) {
        this.seed = seed;
        this.world = new World(mix(seed, -1));
    }

    /** Example number {@code index}, of a kind drawn with {@link #SHARES}. */
    public Example example(long index) {
        SplittableRandom rng = new SplittableRandom(mix(seed, index));
        double u = rng.nextDouble(), acc = 0;
        Kind kind = Kind.NEAR_MISS;
        for (Kind k : Kind.values()) {
            acc += SHARES[k.ordinal()];
            if (u < acc) {
                kind = k;
                break;
            }
        }
        return example(kind, index, rng);
    }

    /** Example number {@code index} of the given kind. */
    public Example example(Kind kind, long index) {
        return example(kind, index, new SplittableRandom(mix(seed, index)));
    }

    private Example example(Kind kind, long index, SplittableRandom rng) {
        Concept c = Concept.values()[rng.nextInt(Concept.values().length)];
        Scene s;
        switch (kind) {
            case ORDINARY -> s = world.pretrainingScene(index);
            case CONCEPT -> s = place(rng, c, null);
            case PRIOR -> {
                Sample p = world.priorSamples(c.category(), 1, index).get(0);
                return new Example(kind, p.scene(), p.image());
            }
            default -> s = place(rng, null, nearMiss(c, rng));
        }
        return new Example(kind, s, world.render(s));
    }

    /** A concept's colours with exactly one of colour, pattern or pattern colour changed. */
    private static Scene nearMiss(Concept c, SplittableRandom rng) {
        Colour colour = c.colour(), patternColour = c.patternColour();
        Pattern pattern = c.pattern();
        switch (rng.nextInt(3)) {
            case 0 -> colour = otherColour(rng, c.colour(), c.patternColour());
            case 1 -> {
                pattern = Pattern.values()[rng.nextInt(Pattern.values().length - 1)];
                if (pattern.ordinal() >= c.pattern().ordinal()) pattern = Pattern.values()[pattern.ordinal() + 1];
                if (pattern == Pattern.PLAIN) patternColour = colour;
            }
            default -> patternColour = otherColour(rng, c.colour(), c.patternColour());
        }
        // a template: place() replaces size, position, angle, background and detail seed
        return new Scene(c.category(), colour, pattern, patternColour, Size.MEDIUM, 0.5f, 0.5f, 0, Background.PLAIN, null, 0);
    }

    /** {@code concept}'s scene, or {@code template}'s object, at a random size, place, angle and background. */
    private static Scene place(SplittableRandom rng, Concept concept, Scene template) {
        Size size = Size.values()[rng.nextInt(Size.values().length)];
        double slack = (1 - size.extent()) / 2;
        float x = (float) (0.5 + (rng.nextDouble() * 2 - 1) * slack);
        float y = (float) (0.5 + (rng.nextDouble() * 2 - 1) * slack);
        float angle = (float) ((rng.nextDouble() * 2 - 1) * MAX_ANGLE);
        Background bg = Background.values()[rng.nextInt(Background.values().length)];
        long detail = rng.nextLong();
        if (concept != null) return concept.scene(size, x, y, angle, bg, detail);
        return new Scene(template.category(), template.colour(), template.pattern(), template.patternColour(),
                size, x, y, angle, bg, null, detail);
    }

    private static Colour otherColour(SplittableRandom rng, Colour a, Colour b) {
        while (true) {
            Colour c = Colour.values()[rng.nextInt(Colour.values().length)];
            if (c != a && c != b) return c;
        }
    }

    /** A well-mixed 64-bit value of two longs (SplitMix64's finaliser), so nearby indices draw independent streams. */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
