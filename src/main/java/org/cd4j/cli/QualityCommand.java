package org.cd4j.cli;

import org.cd4j.demo.QualityStudy;
import org.cd4j.pretrain.MiniModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code cd4j quality}: the quality table of docs/QUALITY.md (every method, every world concept, judged). */
@Command(name = "quality", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure Custom Diffusion against the baselines on the mini model's world (writes OUTPUT/quality.md).")
public final class QualityCommand implements Callable<Integer> {
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "A new folder for the runs and the table.")
    Path output;

    @Option(names = "--model", paramLabel = "DIR", description = "Base model (default: the mini model shipped with cd4j).")
    Path model;

    @Option(names = "--max-train-steps", paramLabel = "N", description = "Fine-tuning steps per method (default: ${DEFAULT-VALUE}).")
    int steps = 150;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of training and sampling (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--num-images", paramLabel = "N", description = "Pictures per prompt, at least 2 (default: ${DEFAULT-VALUE}).")
    int seeds = 4;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (steps < 1) throw new UsageException("--max-train-steps must be at least 1, got " + steps);
        if (seeds < 2) throw new UsageException("--num-images must be at least 2 (standard errors), got " + seeds);
        if (Files.exists(output)) {
            try (var s = Files.list(output)) {
                if (s.findAny().isPresent()) throw new UsageException("--output " + output + " exists and is not empty; choose a new folder");
            }
        }
        Path base = model != null ? model : MiniModel.folder();
        new QualityStudy(base, output, steps, seed, seeds).run(System.err::println);
        System.out.println(output.resolve("quality.md").toAbsolutePath());
        return 0;
    }
}
