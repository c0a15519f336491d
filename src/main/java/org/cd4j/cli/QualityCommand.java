package org.cd4j.cli;

import org.cd4j.demo.QualityStudy;
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

    @picocli.CommandLine.Mixin
    WorldRunOptions run;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        run.check(2);
        WorldRunOptions.requireEmpty(output);
        Path base = run.baseModel();
        new QualityStudy(base, output, run.steps, run.seed, run.seeds).run(System.err::println);
        System.out.println(output.resolve("quality.md").toAbsolutePath());
        return 0;
    }
}
