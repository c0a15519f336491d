package org.cd4j.concept;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/**
 * Where a training run's time goes, by stage, so the next bottleneck is visible. The trainer
 * calls {@link #lap} at the end of each stage: the time since the previous lap is charged to that
 * stage, so the stages add up to the whole time since {@link #start()}. Two {@code nanoTime}
 * reads per stage and no allocation; on the CPU every libtorch call has finished when it returns,
 * so the laps are exact (an asynchronous device would need a synchronisation at each lap).
 */
public final class StageTimes {
    /** The stages of a training step, with their names in metrics and summaries. */
    public enum Stage {
        /** Reading the batch: picking items, decoding and augmenting pictures. */
        DATA("data"),
        /** The text encoder. */
        TEXT("text"),
        /** VAE moments (encoding or cache) and the posterior sample. */
        VAE("vae"),
        /** The UNet's forward pass and the loss. */
        UNET_FORWARD("unet_forward"),
        /** Backward through the UNet and the text encoder. */
        BACKWARD("backward"),
        /** Gradient clipping, the AdamW update, zeroing gradients. */
        OPTIMISER("optimiser"),
        /** Everything else: noise and timestep draws, metrics, progress, checkpoints, validation. */
        OTHER("other");

        /** The name in {@code metrics.jsonl} and {@code summary.json}. */
        public final String key;

        Stage(String key) {
            this.key = key;
        }
    }

    private static final Stage[] STAGES = Stage.values();
    private final long[] nanos = new long[STAGES.length];
    private long mark;

    /** Starts the clock (again): the next lap counts from now. */
    public void start() {
        mark = System.nanoTime();
    }

    /** Charges the time since the previous lap (or {@link #start()}) to {@code stage}. */
    public void lap(Stage stage) {
        long now = System.nanoTime();
        nanos[stage.ordinal()] += now - mark;
        mark = now;
    }

    /** Seconds charged to {@code stage} so far. */
    public double seconds(Stage stage) {
        return nanos[stage.ordinal()] / 1e9;
    }

    /** Seconds of every stage together. */
    public double totalSeconds() {
        long n = 0;
        for (long v : nanos) n += v;
        return n / 1e9;
    }

    /** Puts {@code {"data": s, "text": s, ...}} (seconds so far) into {@code node}. */
    public void putSeconds(ObjectNode node) {
        for (Stage s : STAGES) node.put(s.key, Math.round(seconds(s) * 1e4) / 1e4);
    }

    /** One line for people: {@code data 1.2 s (3 %), text ...}. */
    public String summary() {
        double total = totalSeconds();
        StringBuilder sb = new StringBuilder();
        for (Stage s : STAGES) {
            if (sb.length() > 0) sb.append(", ");
            sb.append(String.format(Locale.ROOT, "%s %.2f s (%.0f %%)", s.key, seconds(s),
                    total > 0 ? 100 * seconds(s) / total : 0.0));
        }
        return sb.toString();
    }
}
