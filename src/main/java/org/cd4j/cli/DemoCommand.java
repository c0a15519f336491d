package org.cd4j.cli;

import org.cd4j.demo.ConceptEvaluation;
import org.cd4j.demo.Demo;
import org.cd4j.world.Concept;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code cd4j demo}: Custom Diffusion end to end on the shipped mini model, offline, with an HTML
 * report. Never writes into an existing folder: without {@code --output} it picks
 * {@code cd4j-demo}, {@code cd4j-demo-2} … in the current directory.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Teach the mini model two new concepts, merge, compress, generate and judge; writes an HTML report.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--output", paramLabel = "DIR", description = "A new folder for the demo (default: ./cd4j-demo, -2, -3 …).")
    Path output;

    @picocli.CommandLine.Mixin
    WorldRunOptions run;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        run.check(1);
        Path out = output != null ? output : freshFolder(Path.of("cd4j-demo"));
        if (output != null) WorldRunOptions.requireEmpty(output);
        Path base = run.baseModel();
        long t0 = System.nanoTime();
        System.err.println("cd4j demo: base model " + base + ", writing to " + out.toAbsolutePath());
        Demo.Result r = new Demo(base, out, run.steps, run.seed, run.seeds).run(System.err::println);
        System.err.printf(Locale.ROOT, "done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        for (Map.Entry<String, Map<Concept, ConceptEvaluation>> m : r.scores().entrySet()) {
            for (Map.Entry<Concept, ConceptEvaluation> e : m.getValue().entrySet()) {
                System.err.printf(Locale.ROOT, "  %-32s %-13s concept %.2f  similarity %.3f  text %.2f  prior %.2f%n", m.getKey(),
                        e.getKey().name(), e.getValue().imageProbability().mean(), e.getValue().imageSimilarity().mean(),
                        e.getValue().textAlignment().mean(),
                        e.getValue().priorPreservation().mean());
            }
        }
        System.out.println(r.report().toAbsolutePath());
        return 0;
    }

    private static Path freshFolder(Path first) {
        Path p = first;
        for (int i = 2; Files.exists(p); i++) p = Path.of(first + "-" + i);
        return p;
    }
}
