package org.cd4j.cli;

import org.cd4j.judge.Judge;
import org.cd4j.judge.JudgeEvaluation;
import org.cd4j.judge.JudgeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cd4j judge-train}: trains the world's judge from scratch (the weights cd4j ships are this
 * command's output, see docs/QUALITY.md), writes them, and prints its accuracy per head on
 * held-out renders, clean and degraded.
 */
@Command(name = "judge-train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train the judge that scores pictures of the synthetic world, and report its held-out accuracy.")
public final class JudgeTrainCommand implements Callable<Integer> {
    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Weights file to write (*.safetensors).")
    Path output;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1500", description = "Optimiser steps of 32 pictures (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the weights, pictures and degradations (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eval-pictures", paramLabel = "N", defaultValue = "250",
            description = "Held-out pictures of each kind to measure accuracy on, 0 to skip (default: ${DEFAULT-VALUE}).")
    int evalPictures;

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!output.getFileName().toString().endsWith(".safetensors")) {
            throw new UsageException("--output " + output + ": the judge's weights are a .safetensors file");
        }
        if (!overwrite && Files.exists(output)) {
            throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
        }
        if (steps < 1) throw new UsageException("--steps must be at least 1, got " + steps);
        if (evalPictures < 0) throw new UsageException("--eval-pictures must be at least 0, got " + evalPictures);
        JudgeTrainer.Options o = JudgeTrainer.Options.defaults(steps, seed);
        Judge judge;
        try (Progress bar = Progress.start("judge-train", System.err)) {
            judge = JudgeTrainer.train(o, (step, total, loss, seconds) -> {
                bar.extra(String.format(Locale.ROOT, "loss %.4f", loss));
                bar.onStep(step, total, seconds);
            });
        }
        judge.save(output, o.metadata(), overwrite);
        System.err.println("wrote " + output);
        if (evalPictures > 0) {
            for (boolean degraded : new boolean[]{false, true}) {
                System.out.println(JudgeEvaluation.evaluate(judge, evalPictures, degraded).table());
            }
        }
        return 0;
    }
}
