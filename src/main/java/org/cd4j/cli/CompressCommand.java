package org.cd4j.cli;

import org.cd4j.concept.compress.CompressionReport;
import org.cd4j.concept.compress.DeltaCompressor;
import org.cd4j.concept.compress.RankCriterion;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.CrossAttnParams;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.concept.delta.LoadedDelta;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code cd4j compress}: replaces every key/value weight of a delta by a truncated SVD of its
 * change {@code W − W0} (reference §1.8) and prints, per weight and in total, the rank kept, the
 * relative Frobenius error and the stored size against the uncompressed delta.
 */
@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compress a Custom Diffusion delta into low-rank factors (truncated SVD of W - W0).")
public final class CompressCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME",
            description = "The base model the delta was trained on: a diffusers folder or a hub id.")
    String model;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--delta", required = true, paramLabel = "FILE", description = "The delta to compress (any format cd4j reads).")
    Path delta;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Criterion criterion;

    /** The three rank criteria; at most one (default: --ratio 0.6, the reference's). */
    static final class Criterion {
        @Option(names = "--ratio", paramLabel = "F",
                description = "Keep the singular values before the running share of their sum exceeds F (the reference's rule; default 0.6).")
        Double ratio;

        @Option(names = "--rank", paramLabel = "N", description = "Keep rank N for every matrix.")
        Integer rank;

        @Option(names = "--energy", paramLabel = "F",
                description = "Keep the smallest rank holding a share F of the squared singular values (relative error <= sqrt(1-F)).")
        Double energy;
    }

    @Option(names = "--output", required = true, paramLabel = "FILE",
            description = "Output file (cd4j: *.safetensors; adobe: the compressed delta.bin form).")
    Path output;

    @Option(names = "--to", paramLabel = "cd4j|adobe", defaultValue = "cd4j", description = "Output format (default: ${DEFAULT-VALUE}).")
    String to;

    @Option(names = "--fp16-base",
            description = "Subtract the base weights rounded to float16, as the reference's diffusers mode does (for parity only).")
    boolean fp16Base;

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        RankCriterion rule = rule();
        DeltaFormat format = parseFormat();
        if (!Files.exists(delta)) throw new UsageException("--delta " + delta + " does not exist");
        if (!Files.isDirectory(output)) {
            if (format == DeltaFormat.CD4J && !output.getFileName().toString().endsWith(".safetensors")) {
                throw new UsageException("--output " + output + ": a cd4j delta is a .safetensors file (e.g. concept.cd4j.safetensors)");
            }
            if (!overwrite && Files.exists(output)) {
                throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
            }
        }
        try (BaseModel base = BaseModel.open(modelOptions.resolve(model).dir())) {
            LoadedDelta loaded = DeltaFiles.load(delta, base);
            loaded.warnings().forEach(w -> System.err.println("warning: " + w));
            checkRank(loaded.delta(), rule);
            DeltaCompressor.Result r = DeltaCompressor.compress(loaded.delta(), base,
                    new DeltaCompressor.Options(rule, fp16Base), delta.toString());
            r.warnings().forEach(w -> System.err.println("warning: " + w));
            List<Path> written = DeltaFiles.save(r.delta(), format, output, base, overwrite);
            System.out.print(r.report().table());
            for (Path p : written) {
                System.out.println(p);
                long in = Files.isRegularFile(delta) ? Files.size(delta) : -1;
                System.err.println("wrote " + p + ": " + CompressionReport.bytes(Files.size(p)) + " on disk"
                        + (in >= 0 ? " (input file " + CompressionReport.bytes(in) + ")" : "") + ", " + rule.describe());
            }
            return 0;
        }
    }

    private RankCriterion rule() {
        try {
            if (criterion == null || criterion.ratio != null) {
                return new RankCriterion.Ratio(criterion == null ? RankCriterion.DEFAULT_RATIO : criterion.ratio);
            }
            if (criterion.rank != null) return new RankCriterion.FixedRank(criterion.rank);
            return new RankCriterion.Energy(criterion.energy);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** A fixed rank above a matrix's smaller dimension is the user's mistake: say which matrix allows what. */
    private static void checkRank(ConceptDelta d, RankCriterion rule) {
        if (!(rule instanceof RankCriterion.FixedRank fixed)) return;
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            if (!CrossAttnParams.isKeyOrValue(e.getKey())) continue;
            long[] s = e.getValue().shape();
            long max = Math.min(s[0], s[1]);
            if (fixed.rank() > max) {
                throw new UsageException("--rank " + fixed.rank() + " is larger than " + e.getKey() + " (" + s[0] + "x" + s[1]
                        + ") allows: its rank is at most " + max);
            }
        }
    }

    private DeltaFormat parseFormat() {
        try {
            DeltaFormat f = DeltaFormat.parse(to);
            if (f != DeltaFormat.CD4J && f != DeltaFormat.ADOBE) {
                throw new IllegalArgumentException("'" + to + "': a compressed delta is written as cd4j or adobe (diffusers"
                        + " files hold absolute weights only)");
            }
            return f;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--to " + e.getMessage());
        }
    }
}
