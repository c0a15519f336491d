package org.cd4j.cli;

import org.cd4j.pretrain.MiniModel;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The flags {@code cd4j demo} and {@code cd4j quality} share: base model, fine-tuning steps, seed, pictures per prompt. */
final class WorldRunOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "Base model (default: the mini model shipped with cd4j).")
    Path model;

    @Option(names = "--max-train-steps", paramLabel = "N", description = "Fine-tuning steps per run (default: ${DEFAULT-VALUE}).")
    int steps = 300;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of training and sampling (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--num-images", paramLabel = "N", description = "Pictures per prompt (default: ${DEFAULT-VALUE}).")
    int seeds = 4;

    /** Checks the counts ({@code minImages}: the least pictures per prompt the command can use). */
    void check(int minImages) {
        if (steps < 1) throw new UsageException("--max-train-steps must be at least 1, got " + steps);
        if (seeds < minImages) throw new UsageException("--num-images must be at least " + minImages + ", got " + seeds);
    }

    /** The base model folder: {@code --model}, else the shipped mini model. */
    Path baseModel() throws IOException {
        return model != null ? model : MiniModel.folder();
    }

    /** Refuses an {@code --output} that exists and holds files. */
    static void requireEmpty(Path output) throws IOException {
        if (!Files.exists(output)) return;
        try (var s = Files.list(output)) {
            if (s.findAny().isPresent()) throw new UsageException("--output " + output + " exists and is not empty; choose a new folder");
        }
    }
}
