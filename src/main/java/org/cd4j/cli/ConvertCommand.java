package org.cd4j.cli;

import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.delta.LoadedDelta;
import org.cd4j.concept.delta.WebuiExport;
import org.cd4j.ldm.FolderWeights;
import org.cd4j.ldm.SingleFileModel;
import org.cd4j.ldm.SingleFileWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cd4j convert}: deltas between formats (cd4j, adobe delta.bin, diffusers weights + token
 * files, CompVis .ckpt in; cd4j, diffusers, adobe out), models between layouts (a single-file
 * checkpoint to a diffusers folder and back), and a concept for AUTOMATIC1111 ({@code --to webui}:
 * a checkpoint with the delta merged in, plus its tokens as embedding files). The model is needed
 * for deltas to check they fit, to map CompVis keys, to expand low-rank weights for formats that
 * store absolute ones, and to record the base-model identity in a cd4j file. A full-UNet
 * delta ({@code --freeze-model none}) is refused by the reference formats, which hold
 * cross-attention weights only; it stays cd4j or merges into a checkpoint ({@code --to webui}).
 * A token-only delta ({@code all}) converts to every format (diffusers: its token files alone).
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a Custom Diffusion delta between the cd4j, diffusers and adobe formats, a concept to",
                "AUTOMATIC1111 (--to webui), or a model between a single file and a diffusers folder:",
                "  cd4j convert --to diffusers --input model.safetensors --output DIR",
                "  cd4j convert --to single-file --input DIR --output model.safetensors"})
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "The base model the delta belongs to (a diffusers folder or a hub id); needed for every delta"
                    + " conversion and --to webui.")
    String model;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--input", required = true, paramLabel = "FILE|DIR",
            description = "The delta (.cd4j.safetensors, adobe delta.bin, diffusers weights file or folder, CompVis .ckpt),"
                    + " or the model to convert (a .ckpt/.safetensors single file, or a diffusers folder for --to single-file).")
    Path input;

    @Option(names = "--to", required = true, paramLabel = "FORMAT",
            description = "cd4j, diffusers or adobe (a delta; diffusers without --model: a single-file model to a folder),"
                    + " webui (checkpoint + embeddings for AUTOMATIC1111), single-file (a diffusers folder to one .safetensors).")
    String to;

    @Option(names = "--output", required = true, paramLabel = "PATH",
            description = "Output file (cd4j: *.cd4j.safetensors, adobe: *.bin, webui and single-file: *.safetensors) or folder (diffusers).")
    Path output;

    @Option(names = "--overwrite", description = "Replace existing output files.")
    boolean overwrite;

    @Option(names = "--force", description = "Convert even if the delta records another base model.")
    boolean force;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        String target = to.toLowerCase(Locale.ROOT);
        boolean modelFile = target.equals("single-file") || target.equals("diffusers") && model == null;
        if (modelFile && (modelOptions.revision != null || modelOptions.variant != null)) {
            throw new UsageException("--revision and --variant apply to a hub id as --model, not to --to " + to + " without --model");
        }
        if (target.equals("single-file")) {
            if (model != null) throw new UsageException("--model does not apply to --to single-file: the folder to write is --input");
            return toSingleFile();
        }
        if (target.equals("diffusers") && model == null) return toFolder();
        if (model == null) {
            throw new UsageException("--model DIR is required to convert a delta (--to " + to + "); a single-file model"
                    + " becomes a folder with --to diffusers and no --model");
        }
        if (!Files.exists(input)) throw new UsageException("--input " + input + " does not exist");
        DeltaFormat format = target.equals("webui") ? null : parseFormat();
        Path dir = modelOptions.resolve(model).dir();
        return format == null ? toWebui(dir) : convertDelta(format, dir);
    }

    private int toFolder() throws Exception {
        if (!Files.isRegularFile(input)) throw new UsageException("--input " + input + " is not a file (expected a .ckpt or .safetensors checkpoint)");
        if (Files.exists(output)) {
            if (!overwrite) throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
            if (!Files.isRegularFile(output.resolve("model_index.json"))) {
                throw new UsageException("--output " + output + " exists and is not a model folder; choose a new folder");
            }
        }
        List<String> notes = SingleFileModel.convert(input, modelOptions.modelConfig, output, overwrite);
        notes.forEach(n -> System.err.println("note: " + n));
        System.out.println(output);
        System.err.println("converted " + input + " to the diffusers folder " + output);
        return 0;
    }

    private int toSingleFile() throws Exception {
        if (!Files.isDirectory(input)) throw new UsageException("--input " + input + " is not a folder (expected a diffusers model folder)");
        checkSafetensorsOutput();
        try (FolderWeights m = FolderWeights.open(input)) {
            SingleFileWriter.write(m, output, overwrite);
        }
        System.out.println(output);
        return 0;
    }

    private int toWebui(Path dir) throws Exception {
        checkSafetensorsOutput();
        ConceptDelta d;
        try (BaseModel base = BaseModel.open(dir)) {
            LoadedDelta loaded = DeltaFiles.load(input, base);
            loaded.warnings().forEach(w -> System.err.println("warning: " + w));
            d = checkIdentity(loaded.delta(), base, true);
        }
        List<Path> written = WebuiExport.write(dir, d, input.toString(), output, overwrite);
        written.forEach(System.out::println);
        System.err.println("AUTOMATIC1111: put " + output.getFileName() + " in models/Stable-diffusion/ and the files of "
                + written.get(0).toAbsolutePath().getParent().resolve(WebuiExport.EMBEDDINGS) + " in embeddings/;"
                + " then write " + String.join(", ", d.tokens().keySet()) + " in prompts");
        return 0;
    }

    private void checkSafetensorsOutput() {
        if (!output.getFileName().toString().endsWith(".safetensors")) {
            throw new UsageException("--output " + output + ": a single-file model is written as .safetensors");
        }
        if (!overwrite && Files.exists(output)) {
            throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
        }
    }

    private int convertDelta(DeltaFormat format, Path dir) throws Exception {
        if (format != DeltaFormat.DIFFUSERS && !Files.isDirectory(output)) {
            if (format == DeltaFormat.CD4J && !output.getFileName().toString().endsWith(".safetensors")) {
                throw new UsageException("--output " + output + ": a cd4j delta is a .safetensors file (e.g. concept.cd4j.safetensors)");
            }
            if (!overwrite && Files.exists(output)) {
                throw new UsageException("--output " + output + " already exists (use --overwrite to replace it)");
            }
        }
        try (BaseModel base = BaseModel.open(dir)) {
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
            d = checkIdentity(d, base, d.hasLowRank() && format != DeltaFormat.CD4J);
            if (format == DeltaFormat.CD4J && d != loaded.delta()) {
                System.err.println("recording base model " + base.name() + " (sha256 "
                        + d.info().baseModelSha256().substring(0, 12) + "…) from --model");
            }
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
    private ConceptDelta checkIdentity(ConceptDelta d, BaseModel base, boolean mixesBase) throws Exception {
        String recorded = d.info().baseModelSha256();
        if (recorded == null) return d.withBaseModel(base);
        String here = base.identity(d.weights().keySet());
        if (!here.equals(recorded)) {
            String msg = "delta " + input + " was trained on another base model (sha256 " + recorded.substring(0, 12)
                    + "…, this model " + here.substring(0, 12) + "…)";
            if (mixesBase && !force) {
                throw new IllegalArgumentException(msg + "; its weights would be combined with this model's;"
                        + " pass --force to convert it anyway");
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
            throw new UsageException("--to " + e.getMessage() + "; or webui, single-file");
        }
    }
}
