package org.cd4j.judge;

import org.cd4j.world.Background;
import org.cd4j.world.Category;
import org.cd4j.world.Colour;
import org.cd4j.world.Concept;
import org.cd4j.world.Pattern;
import org.cd4j.world.Size;

import java.util.Map;

/**
 * What the judge sees in one picture: for every {@link Head} the probability of each class (in
 * the head's class order), and the picture's embedding. The arrays are the prediction's own; do
 * not modify them.
 *
 * @param probabilities per head, probabilities summing to 1
 * @param embedding     the {@value Judge#EMBEDDING}-long embedding (compare with {@link #cosine})
 */
public record Prediction(Map<Head, float[]> probabilities, float[] embedding) {
    public Prediction {
        probabilities = Map.copyOf(probabilities);
        for (Head h : Head.values()) {
            float[] p = probabilities.get(h);
            if (p == null || p.length != h.size()) throw new IllegalArgumentException("no " + h.size() + " probabilities for " + h);
        }
    }

    /** The probabilities of {@code h}'s classes. */
    public float[] probabilities(Head h) {
        return probabilities.get(h);
    }

    /** The most probable class of {@code h} (the first of equals). */
    public int argmax(Head h) {
        float[] p = probabilities.get(h);
        int best = 0;
        for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    public Category category() {
        return Category.values()[argmax(Head.CATEGORY)];
    }

    public Colour colour() {
        return Colour.values()[argmax(Head.COLOUR)];
    }

    public Pattern pattern() {
        return Pattern.values()[argmax(Head.PATTERN)];
    }

    /** The pattern's colour as the judge reads it (meaningless when {@link #pattern()} is plain). */
    public Colour patternColour() {
        return Colour.values()[argmax(Head.PATTERN_COLOUR)];
    }

    public Background background() {
        return Background.values()[argmax(Head.BACKGROUND)];
    }

    public Size size() {
        return Size.values()[argmax(Head.SIZE)];
    }

    /** The concept the picture most probably shows, or null when "none" is most probable. */
    public Concept concept() {
        int i = argmax(Head.CONCEPT);
        return i == Head.NONE ? null : Concept.values()[i];
    }

    /** The probability that the picture shows {@code c}. */
    public double probability(Concept c) {
        return probabilities.get(Head.CONCEPT)[c.ordinal()];
    }

    /** Cosine similarity of two embeddings (0 when either is all zeros). */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("embeddings of lengths " + a.length + " and " + b.length);
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
