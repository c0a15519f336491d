package org.cd4j.cli;

import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.merge.Categories;
import org.cd4j.concept.merge.ConceptMerger;
import org.cd4j.concept.merge.MergeFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code cd4j merge}: merges separately trained concepts into one delta by the closed-form
 * constrained least squares of the paper's Eq. 4 (reference §1.9). Tokens are renamed
 * {@code <new1>…<newN>} in input order; the mapping is printed and stored in the output's notes.
 */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Merge several Custom Diffusion deltas into one (closed-form constrained least squares, paper Eq. 4).")
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME",
            description = "The base model all deltas were trained on: a diffusers folder or a hub id.")
    String model;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--delta", required = true, paramLabel = "FILE",
            description = "A delta to merge (any format cd4j reads; repeat, at least twice). Order decides the new token names.")
    List<Path> deltas = new ArrayList<>();

    @Option(names = "--categories", paramLabel = "TEXT",
            description = "Each delta's class word, '+'-separated in --delta order (e.g. \"wooden pot+cat\"; '|' separates the"
                    + " categories of one delta's separate tokens). Default: from each delta's training metadata.")
    String categories;

    @Option(names = "--reg-prompts", paramLabel = "FILE",
            description = "Regularisation captions, one per line; the first 200 are used (default: cd4j's own 200 captions).")
    Path regPrompts;

    @Option(names = "--output", required = true, paramLabel = "FILE",
            description = "Output file (cd4j: *.safetensors, adobe: delta.bin) or folder (diffusers).")
    Path output;

    @Option(names = "--to", paramLabel = "cd4j|adobe|diffusers", defaultValue = "cd4j", description = "Output format (default: ${DEFAULT-VALUE}).")
    String to;

    @Option(names = "--overwrite", description = "Replace existing output files.")
    boolean overwrite;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        DeltaFormat format = parseFormat();
        if (deltas.size() < 2) throw new UsageException("give at least two --delta files to merge, got " + deltas.size());
        for (Path d : deltas) if (!Files.exists(d)) throw new UsageException("--delta " + d + " does not exist");
        if (regPrompts != null && !Files.isRegularFile(regPrompts)) {
            throw new UsageException("--reg-prompts " + regPrompts + " is not a file (one caption per line expected)");
        }
        if (format != DeltaFormat.DIFFUSERS && !Files.isDirectory(output)) {
            if (format == DeltaFormat.CD4J && !output.getFileName().toString().endsWith(".safetensors")) {
                throw new UsageException("--output " + output + ": a cd4j delta is a .safetensors file (e.g. merged.cd4j.safetensors)");
            }
            if (!overwrite && Files.exists(output)) {
                throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
            }
        }
        Path modelDir = modelOptions.resolve(model).dir();
        ConceptMerger.Result r;
        try {
            r = MergeFiles.merge(modelDir, deltas, categories, regPrompts, w -> System.err.println("warning: " + w));
        } catch (Categories.CategoryException e) {
            throw new UsageException(e.getMessage());
        }
        System.out.print("tokens:\n" + r.report().mapping().indent(2));
        System.out.print(r.report().table());
        try (BaseModel base = BaseModel.open(modelDir)) {
            for (Path p : DeltaFiles.save(r.delta(), format, output, base, overwrite)) System.out.println(p);
        }
        return 0;
    }

    private DeltaFormat parseFormat() {
        try {
            DeltaFormat f = DeltaFormat.parse(to);
            if (f == DeltaFormat.COMPVIS) throw new IllegalArgumentException("cd4j reads CompVis deltas but does not write them");
            return f;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--to " + e.getMessage());
        }
    }
}
