package org.cd4j.judge;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.AdamW;
import org.cd4j.nn.Tensors;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a {@link Judge} from scratch on {@link TrainingScenes}: batches of fresh renders, each
 * mirrored with chance ½ and {@link Degradation degraded} with chance {@value #DEGRADE_SHARE},
 * the sum of every head's cross-entropy (a plain object's pattern colour is left out), AdamW with
 * a linear warm-up and a cosine decay. Every random choice comes from the seed, so a seed and a
 * step count name the weights exactly (on one machine; libtorch's CPU kernels may round
 * differently elsewhere).
 */
public final class JudgeTrainer {
    /** Share of training pictures that are degraded; the rest stay clean, so clean renders are read best. */
    static final double DEGRADE_SHARE = 0.75;

    /**
     * @param steps        optimiser steps
     * @param batchSize    pictures per step
     * @param learningRate peak learning rate
     * @param warmupSteps  steps of linear warm-up from 0
     * @param seed         seeds the initial weights, the pictures and their degradations
     */
    public record Options(int steps, int batchSize, double learningRate, int warmupSteps, long seed) {
        public Options {
            if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
            if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }

        /** The settings, for the weight file's {@code __metadata__}. */
        public Map<String, String> metadata() {
            Map<String, String> m = new java.util.LinkedHashMap<>();
            m.put("format", "cd4j-judge");
            m.put("steps", Integer.toString(steps));
            m.put("batch-size", Integer.toString(batchSize));
            m.put("learning-rate", Double.toString(learningRate));
            m.put("warmup-steps", Integer.toString(warmupSteps));
            m.put("seed", Long.toString(seed));
            return m;
        }

        /** The settings the shipped weights were trained with, for {@code steps} steps and {@code seed}. */
        public static Options defaults(int steps, long seed) {
            return new Options(steps, 32, 2e-3, Math.min(100, steps / 10), seed);
        }
    }

    /** Hears about each finished step. */
    @FunctionalInterface
    public interface Listener {
        void step(int step, int total, double loss, double seconds);
    }

    private JudgeTrainer() {}

    /** A judge trained with {@code o}. */
    public static Judge train(Options o, Listener listener) {
        Judge judge = new Judge();
        judge.initialise(o.seed());
        judge.requiresGrad(true);
        AdamW opt = AdamW.withDefaults(judge.namedParameters());
        TrainingScenes scenes = new TrainingScenes(o.seed());
        long t0 = System.nanoTime();
        for (int step = 0; step < o.steps(); step++) {
            double loss;
            try (PointerScope scope = new PointerScope()) {
                List<float[]> planes = new ArrayList<>(o.batchSize());
                Map<Head, long[]> labels = new EnumMap<>(Head.class);
                for (Head h : Head.values()) labels.put(h, new long[o.batchSize()]);
                for (int i = 0; i < o.batchSize(); i++) {
                    long index = (long) step * o.batchSize() + i;
                    TrainingScenes.Example ex = scenes.example(index);
                    planes.add(augmented(ex, o.seed(), index));
                    for (Head h : Head.values()) labels.get(h)[i] = h.label(ex.scene());
                }
                Tensor total = null;
                Judge.Output out = judge.forward(JudgeImages.stack(planes));
                for (Head h : Head.values()) {
                    Tensor l = crossEntropy(out.logits().get(h), Tensors.fromLongs(labels.get(h), o.batchSize()));
                    total = total == null ? l : total.add(l);
                }
                loss = total.item_double();
                total.backward();
            }
            opt.step(learningRate(o, step));
            opt.zeroGrad();
            listener.step(step + 1, o.steps(), loss, (System.nanoTime() - t0) / 1e9);
        }
        judge.requiresGrad(false);
        return judge;
    }

    /** The picture of {@code ex} as trained on: mirrored or not, degraded or not, by a generator of its own. */
    static float[] augmented(TrainingScenes.Example ex, long seed, long index) {
        SplittableRandom rng = new SplittableRandom(TrainingScenes.mix(seed ^ 0xA06_3E47L, index));
        float[] px = JudgeImages.pixels(ex.image());
        if (rng.nextBoolean()) Degradation.hflip(px);
        if (rng.nextDouble() < DEGRADE_SHARE) Degradation.random(px, rng);
        return px;
    }

    /** Mean cross-entropy over the rows whose label is not {@link Head#UNDEFINED} (0 when there are none). */
    static Tensor crossEntropy(Tensor logits, Tensor labels) {
        if (labels.ne(new org.bytedeco.pytorch.Scalar(Head.UNDEFINED)).sum().item_long() == 0) {
            return logits.sum().mul(new org.bytedeco.pytorch.Scalar(0)); // keeps the graph
        }
        // reduction 1 = mean over the rows not ignored
        return torch.cross_entropy_loss(logits, labels, new TensorOptional(), 1, Head.UNDEFINED, 0.0);
    }

    /** Linear warm-up to the peak, then a cosine decay towards a tenth of it at the end. */
    static double learningRate(Options o, int step) {
        if (step < o.warmupSteps()) return o.learningRate() * (step + 1) / o.warmupSteps();
        double t = (double) (step - o.warmupSteps()) / Math.max(1, o.steps() - o.warmupSteps());
        return o.learningRate() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * t)));
    }
}
