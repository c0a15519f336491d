package org.cd4j.world;

import java.util.SplittableRandom;

/** The random choices behind a scene: which object, and where it stands in the picture. */
final class SceneSampler {
    private SceneSampler() {}

    /** Share of ordinary objects drawn without a pattern. */
    static final double PLAIN_SHARE = 0.3;
    /** Largest rotation either way, in radians (about 15°: objects stay upright enough to name). */
    static final double MAX_ANGLE = 0.26;

    /** Makes a scene of a fixed object once its place is chosen. */
    @FunctionalInterface
    interface Placed {
        Scene at(Size size, float x, float y, float angle, Background background, long detailSeed);
    }

    /**
     * An ordinary object (of {@code category}, or of any category when it is {@code null}),
     * never one of the concepts' combinations: those are drawn again.
     */
    static Scene ordinary(SplittableRandom rng, Category category) {
        while (true) {
            Category c = category != null ? category : pick(rng, Category.values());
            Colour colour = pick(rng, Colour.values());
            Pattern pattern = rng.nextDouble() < PLAIN_SHARE ? Pattern.PLAIN
                    : Pattern.values()[1 + rng.nextInt(Pattern.values().length - 1)];
            Colour patternColour = colour;
            if (pattern != Pattern.PLAIN) {
                // any colour but the object's own
                int k = rng.nextInt(Colour.values().length - 1);
                patternColour = Colour.values()[k >= colour.ordinal() ? k + 1 : k];
            }
            Size size = pick(rng, Size.values());
            Background bg = pick(rng, Background.values());
            Colour pc = patternColour;
            Scene s = place(rng, (sz, x, y, a, b, d) -> new Scene(c, colour, pattern, pc, sz, x, y, a, b, null, d),
                    size, bg);
            if (!s.isConceptCombination()) return s;
        }
    }

    /** Chooses a place inside the picture for an object of {@code size}, a small rotation and a detail seed. */
    static Scene place(SplittableRandom rng, Placed placed, Size size, Background background) {
        // how far the centre may move from the middle with the object's box still inside the picture
        double slack = (1 - size.extent()) / 2 * 0.9;
        float x = (float) (0.5 + (rng.nextDouble() * 2 - 1) * slack);
        float y = (float) (0.5 + (rng.nextDouble() * 2 - 1) * slack);
        float angle = (float) ((rng.nextDouble() * 2 - 1) * MAX_ANGLE);
        return placed.at(size, x, y, angle, background, rng.nextLong());
    }

    static <T> T pick(SplittableRandom rng, T[] values) {
        return values[rng.nextInt(values.length)];
    }
}
