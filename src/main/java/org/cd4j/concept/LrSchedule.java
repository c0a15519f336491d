package org.cd4j.concept;

import java.util.List;
import java.util.Locale;

/**
 * Learning-rate schedules by their diffusers names ({@code get_scheduler}): the rate at an
 * optimiser step is a pure function of the step, so a resumed run needs no schedule state.
 * As in diffusers, {@code constant} ignores warm-up (the reference's default flags,
 * {@code constant} with {@code --lr_warmup_steps 500}, train at the full rate from step 0).
 */
public record LrSchedule(String name, double baseLr, int warmupSteps, int totalSteps) {
    /** The accepted names. */
    public static final List<String> NAMES = List.of("constant", "constant_with_warmup", "linear", "cosine");

    public LrSchedule {
        name = name.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("--lr-scheduler '" + name + "' is unknown (expected " + String.join(", ", NAMES) + ")");
        }
        if (warmupSteps < 0) throw new IllegalArgumentException("--lr-warmup-steps must be >= 0, got " + warmupSteps);
        if (!(baseLr > 0) || !Double.isFinite(baseLr)) throw new IllegalArgumentException("--learning-rate must be positive, got " + baseLr);
    }

    /** The learning rate used for the optimiser update after {@code step} completed updates (0-based). */
    public double at(int step) {
        return baseLr * factor(step);
    }

    private double factor(int step) {
        switch (name) {
            case "constant":
                return 1.0;
            case "constant_with_warmup":
                return step < warmupSteps ? (double) step / Math.max(1, warmupSteps) : 1.0;
            case "linear":
                if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
                return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case "cosine":
                if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            default:
                throw new IllegalStateException(name);
        }
    }

    /**
     * The reference's {@code --scale_lr}: {@code lr × gradient_accumulation × batch × processes},
     * and × 2 more with prior preservation (the batch holds as many class images again).
     */
    public static double scaled(double lr, int gradientAccumulation, int batchSize, int processes, boolean withPrior) {
        double s = lr * gradientAccumulation * batchSize * processes;
        return withPrior ? s * 2 : s;
    }
}
