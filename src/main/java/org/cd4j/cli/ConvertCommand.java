package org.cd4j.cli;

import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.delta.LoadedDelta;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cd4j convert}: reads a delta in any supported format (cd4j, adobe delta.bin, diffusers
 * weights + token files, CompVis .ckpt) and writes it as cd4j, diffusers or adobe. The model is
 * needed to check the delta fits, to map CompVis keys, to expand low-rank weights for formats
 * that store absolute ones, and to record the base-model identity in a cd4j file. A full-UNet
 * delta ({@code --freeze-model none}) stays a cd4j delta: the reference formats hold
 * cross-attention weights only. A token-only delta ({@code all}) converts to all three (diffusers:
 * its token files alone).
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a Custom Diffusion delta between the cd4j, diffusers and adobe formats.")
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME",
            description = "The base model the delta belongs to: a diffusers folder or a hub id.")
    String model;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--input", required = true, paramLabel = "FILE|DIR",
            description = "The delta: a .cd4j.safetensors, adobe delta.bin, diffusers weights file or folder, or CompVis .ckpt.")
    Path input;

    @Option(names = "--to", required = true, paramLabel = "cd4j|diffusers|adobe", description = "Output format.")
    String to;

    @Option(names = "--output", required = true, paramLabel = "PATH",
            description = "Output file (cd4j: *.cd4j.safetensors, adobe: *.bin) or folder (diffusers).")
    Path output;

    @Option(names = "--overwrite", description = "Replace existing output files.")
    boolean overwrite;

    @Option(names = "--force", description = "Convert even if the delta records another base model.")
    boolean force;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        DeltaFormat format = parseFormat();
        if (!Files.exists(input)) throw new UsageException("--input " + input + " does not exist");
        if (format != DeltaFormat.DIFFUSERS && !Files.isDirectory(output)) {
            if (format == DeltaFormat.CD4J && !output.getFileName().toString().endsWith(".safetensors")) {
                throw new UsageException("--output " + output + ": a cd4j delta is a .safetensors file (e.g. concept.cd4j.safetensors)");
            }
            if (!overwrite && Files.exists(output)) {
                throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
            }
        }
        try (BaseModel base = BaseModel.open(modelOptions.resolve(model).dir())) {
            LoadedDelta loaded = DeltaFiles.load(input, base);
            loaded.warnings().forEach(w -> System.err.println("warning: " + w));
            ConceptDelta d = loaded.delta();
            DeltaApplier.checkShapes(d, base, input.toString());
            if (format != DeltaFormat.CD4J) {
                try {
                    d.requireCrossAttentionOnly(format == DeltaFormat.ADOBE ? "the adobe delta.bin" : "the diffusers format");
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--to " + format.id + ": " + e.getMessage());
                }
            }
            d = checkIdentity(d, base, format);
            List<Path> written = DeltaFiles.save(d, format, output, base, overwrite);
            written.forEach(System.out::println);
            System.err.printf(Locale.ROOT, "converted %s delta %s (%d weight(s), %s, %s, tokens %s) to %s%n",
                    loaded.format().id, input, d.weights().size(), d.storage(), d.trainMode().id, d.modifierTokens(), format.id);
            return 0;
        }
    }

    /**
     * A delta without identity gets the model's (the user says it belongs to it); one with another
     * identity is refused only where the model's weights would be mixed into the output.
     */
    private ConceptDelta checkIdentity(ConceptDelta d, BaseModel base, DeltaFormat format) throws Exception {
        String recorded = d.info().baseModelSha256();
        if (recorded == null) {
            ConceptDelta stamped = d.withBaseModel(base);
            if (format == DeltaFormat.CD4J) {
                System.err.println("recording base model " + base.name() + " (sha256 "
                        + stamped.info().baseModelSha256().substring(0, 12) + "…) from --model");
            }
            return stamped;
        }
        String here = base.identity(d.weights().keySet());
        if (!here.equals(recorded)) {
            String msg = "delta " + input + " was trained on another base model (sha256 " + recorded.substring(0, 12)
                    + "…, this model " + here.substring(0, 12) + "…)";
            boolean mixesBase = d.hasLowRank() && format != DeltaFormat.CD4J;
            if (mixesBase && !force) {
                throw new IllegalArgumentException(msg + "; its low-rank weights would be expanded with this model's"
                        + " weights; pass --force to convert it anyway");
            }
            System.err.println("warning: " + msg);
        }
        return d;
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
