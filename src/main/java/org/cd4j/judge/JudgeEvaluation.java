package org.cd4j.judge;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How often the judge is right, per head and per kind of picture, on renders it has never seen:
 * {@link TrainingScenes} of a seed no training run uses ({@link #SEED}), the same number of each
 * kind (ordinary objects, concepts, the concepts' categories, near misses), clean or
 * {@link Degradation degraded} the way a small diffusion model blurs and noises its pictures.
 */
public final class JudgeEvaluation {
    /** The seed of the held-out pictures (training seeds are small numbers; this one is not). */
    public static final long SEED = 0x7E57_5EED_0F_1A5L;

    private JudgeEvaluation() {}

    /** Right answers out of pictures for which the answer is defined. */
    public record Accuracy(int correct, int count) {
        public double value() {
            return count == 0 ? Double.NaN : (double) correct / count;
        }

        Accuracy plus(boolean right) {
            return new Accuracy(correct + (right ? 1 : 0), count + 1);
        }
    }

    /** Accuracy per kind of picture and head, and over all pictures. */
    public record Report(boolean degraded, int perKind, Map<TrainingScenes.Kind, Map<Head, Accuracy>> byKind,
                         Map<Head, Accuracy> all) {
        /** One head's accuracy over all pictures. */
        public double accuracy(Head h) {
            return all.get(h).value();
        }

        /** One head's accuracy on one kind of picture. */
        public double accuracy(TrainingScenes.Kind kind, Head h) {
            return byKind.get(kind).get(h).value();
        }

        /** A Markdown table: heads down, kinds across, percentages. */
        public String table() {
            StringBuilder sb = new StringBuilder("| head (" + (degraded ? "degraded" : "clean") + " renders) | all |");
            for (TrainingScenes.Kind k : TrainingScenes.Kind.values()) sb.append(' ').append(k.name().toLowerCase(Locale.ROOT)).append(" |");
            sb.append("\n| --- | --- |");
            for (int i = 0; i < TrainingScenes.Kind.values().length; i++) sb.append(" --- |");
            sb.append('\n');
            for (Head h : Head.values()) {
                sb.append("| ").append(h.key()).append(" | ").append(percent(all.get(h))).append(" |");
                for (TrainingScenes.Kind k : TrainingScenes.Kind.values()) sb.append(' ').append(percent(byKind.get(k).get(h))).append(" |");
                sb.append('\n');
            }
            return sb.toString();
        }

        private static String percent(Accuracy a) {
            return a.count() == 0 ? "–" : String.format(Locale.ROOT, "%.1f %%", 100 * a.value());
        }
    }

    /** The judge's accuracy on {@code perKind} held-out pictures of each kind, clean or degraded. */
    public static Report evaluate(Judge judge, int perKind, boolean degraded) {
        if (perKind < 1) throw new IllegalArgumentException("pictures per kind must be >= 1, got " + perKind);
        TrainingScenes scenes = new TrainingScenes(SEED);
        Map<TrainingScenes.Kind, Map<Head, Accuracy>> byKind = new EnumMap<>(TrainingScenes.Kind.class);
        Map<Head, Accuracy> all = empty();
        for (TrainingScenes.Kind kind : TrainingScenes.Kind.values()) {
            Map<Head, Accuracy> acc = empty();
            List<TrainingScenes.Example> examples = new ArrayList<>(perKind);
            List<float[]> planes = new ArrayList<>(perKind);
            for (int i = 0; i < perKind; i++) {
                TrainingScenes.Example ex = scenes.example(kind, i);
                float[] px = JudgeImages.pixels(ex.image());
                if (degraded) Degradation.random(px, new SplittableRandom(TrainingScenes.mix(SEED ^ kind.ordinal(), i)));
                examples.add(ex);
                planes.add(px);
            }
            List<Prediction> predictions = judge.predictPixels(planes);
            for (int i = 0; i < perKind; i++) {
                for (Head h : Head.values()) {
                    int label = h.label(examples.get(i).scene());
                    if (label == Head.UNDEFINED) continue;
                    boolean right = predictions.get(i).argmax(h) == label;
                    acc.put(h, acc.get(h).plus(right));
                    all.put(h, all.get(h).plus(right));
                }
            }
            byKind.put(kind, acc);
        }
        return new Report(degraded, perKind, byKind, all);
    }

    private static Map<Head, Accuracy> empty() {
        Map<Head, Accuracy> m = new EnumMap<>(Head.class);
        for (Head h : Head.values()) m.put(h, new Accuracy(0, 0));
        return m;
    }
}
