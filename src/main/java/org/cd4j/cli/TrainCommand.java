package org.cd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.concept.Checkpoints;
import org.cd4j.concept.RunOptions;
import org.cd4j.concept.TrainConfig;
import org.cd4j.concept.TrainListener;
import org.cd4j.concept.Trainer;
import org.cd4j.io.AtomicFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code cd4j train}: Custom Diffusion fine-tuning with the reference trainers' flags
 * (kebab-case). Writes {@code OUTPUT/delta.cd4j.safetensors}, {@code OUTPUT/config.json}
 * (replayable with {@code --config}), {@code OUTPUT/metrics.jsonl}, validation images and
 * checkpoints; {@code --resume latest} continues an interrupted run exactly.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Teach a model a new concept from a few images (Custom Diffusion).")
public final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "Read settings from a config.json written by an earlier run; flags given here win.")
    Path config;

    /** Stands for the shipped mini model while the flags are checked. */
    private static final String MINI = "(the cd4j mini model)";

    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "Base model: a diffusers folder or a hub id (default: the mini model shipped with cd4j).")
    String model;
    @CommandLine.Mixin
    ModelOptions modelOptions;
    @Option(names = "--output", paramLabel = "DIR", description = "Output folder.")
    String output;
    @Option(names = "--instance-data-dir", paramLabel = "DIR", description = "Images of the concept.")
    String instanceDataDir;
    @Option(names = "--instance-prompt", paramLabel = "TEXT", description = "Caption with the modifier token, e.g. \"photo of a <new1> cat\".")
    String instancePrompt;
    @Option(names = "--class-data-dir", paramLabel = "DIR", description = "Regularisation images (a folder, or the real-prior layout).")
    String classDataDir;
    @Option(names = "--class-prompt", paramLabel = "TEXT", description = "Caption of the class images, e.g. \"cat\".")
    String classPrompt;
    @Option(names = "--concepts-list", paramLabel = "FILE.json", description = "Several concepts (the reference JSON).")
    String conceptsList;
    @Option(names = "--modifier-token", paramLabel = "T1+T2", description = "New tokens, e.g. \"<new1>+<new2>\".")
    String modifierToken;
    @Option(names = "--initializer-token", paramLabel = "A+B", description = "Tokens the new embeddings start from (default: ktn+pll+ucd).")
    String initializerToken;
    @Option(names = "--with-prior-preservation", description = "Add the prior-preservation loss on class images.")
    Boolean withPriorPreservation;
    @Option(names = "--real-prior", description = "Class images are retrieved real images (images/, caption.txt, images.txt).")
    Boolean realPrior;
    @Option(names = "--prior-loss-weight", paramLabel = "F", description = "Weight of the prior loss (default: 1.0).")
    Double priorLossWeight;
    @Option(names = "--num-class-images", paramLabel = "N", description = "Class images per concept; missing ones are generated (default: 200).")
    Integer numClassImages;
    @Option(names = "--sample-batch-size", paramLabel = "N", description = "Class images generated per progress report (default: 4).")
    Integer sampleBatchSize;
    @Option(names = "--prior-generation-steps", paramLabel = "N", description = "Sampling steps for generated class images (default: 50).")
    Integer priorGenerationSteps;
    @Option(names = "--resolution", paramLabel = "N", description = "Training resolution in pixels (default: 512).")
    Integer resolution;
    @Option(names = "--train-batch-size", paramLabel = "N", description = "Instance images per step (default: 4; as many class images again).")
    Integer trainBatchSize;
    @Option(names = "--learning-rate", paramLabel = "F", description = "Learning rate (default: 1e-5).")
    Double learningRate;
    @Option(names = "--scale-lr", description = "Scale the rate by accumulation × batch (× 2 with prior), as the reference.")
    Boolean scaleLr;
    @Option(names = "--lr-scheduler", paramLabel = "NAME", description = "constant, constant_with_warmup, linear, cosine (default: constant).")
    String lrScheduler;
    @Option(names = "--lr-warmup-steps", paramLabel = "N", description = "Warm-up steps (not used by 'constant') (default: 500).")
    Integer lrWarmupSteps;
    @Option(names = "--max-train-steps", paramLabel = "N", description = "Optimiser steps (default: 250).")
    Integer maxTrainSteps;
    @Option(names = "--hflip", description = "Random horizontal flips.")
    Boolean hflip;
    @Option(names = "--no-aug", description = "No zoom-in/zoom-out augmentation.")
    Boolean noAug;
    @Option(names = "--center-crop", description = "Centre-crop class images instead of random crops.")
    Boolean centerCrop;
    @Option(names = "--freeze-model", paramLabel = "MODE", description = {
            "Trained UNet weights: crossattn_kv (default, the paper's: cross-attention keys and values) or crossattn (all of"
                    + " cross-attention); the paper's baselines: none (nothing frozen: every UNet weight trains, DreamBooth-like;"
                    + " the delta is the whole UNet, ~3.4 GB for SD-1.5) or all (the whole UNet frozen: only the token"
                    + " embeddings train, textual-inversion-like)."})
    String freezeModel;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice (default: 42).")
    Long seed;
    @Option(names = "--checkpointing-steps", paramLabel = "N", description = "Checkpoint every N steps; 0 for none (default: 250).")
    Integer checkpointingSteps;
    @Option(names = "--checkpoints-total-limit", paramLabel = "N", description = "Keep at most N checkpoints; 0 keeps all (default: 0).")
    Integer checkpointsTotalLimit;
    @Option(names = "--validation-prompt", paramLabel = "TEXT", description = "Prompt for validation images.")
    String validationPrompt;
    @Option(names = "--validation-steps", paramLabel = "N", description = "Validation images every N steps (default: 50).")
    Integer validationSteps;
    @Option(names = "--num-validation-images", paramLabel = "N", description = "Validation images each time (default: 2).")
    Integer numValidationImages;
    @Option(names = "--gradient-accumulation-steps", paramLabel = "N", description = "Batches per optimiser step (default: 1).")
    Integer gradientAccumulationSteps;
    @Option(names = "--max-grad-norm", paramLabel = "F", description = "Gradient clipping norm; 0 for none (default: 1.0).")
    Double maxGradNorm;
    @Option(names = "--adam-beta1", paramLabel = "F", hidden = true) Double adamBeta1;
    @Option(names = "--adam-beta2", paramLabel = "F", hidden = true) Double adamBeta2;
    @Option(names = "--adam-weight-decay", paramLabel = "F", description = "AdamW weight decay on the trained tensors (default: 1e-2).")
    Double adamWeightDecay;
    @Option(names = "--adam-epsilon", paramLabel = "F", hidden = true) Double adamEpsilon;
    @Option(names = "--mixed-precision", paramLabel = "no|bf16", description = "bf16 autocast for the forward pass (default: no).")
    String mixedPrecision;
    @Option(names = "--gradient-checkpointing", description = "Recompute UNet blocks in the backward pass: less memory, ~1.3x the time.")
    Boolean gradientCheckpointing;
    @Option(names = "--true-mean-loss", description = "Divide out the reference's 4x instance-loss factor (see docs).")
    Boolean trueMeanLoss;
    @Option(names = "--corrupt-images", paramLabel = "refuse|skip", description = "What to do with unreadable images (default: refuse).")
    String corruptImages;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", description = DeviceFlag.HELP)
    String device;

    @Option(names = "--attention", paramLabel = "MODE", defaultValue = "auto", description = MemoryFlags.ATTENTION_HELP)
    String attention;

    @Option(names = "--no-reuse", description = "Encode every picture and caption at every step and write no latent cache"
            + " (the results are the same; for checking).")
    boolean noReuse;

    @Option(names = "--resume", paramLabel = "DIR|latest", description = "Continue from a checkpoint folder, or the newest one in --output.")
    String resume;
    @Option(names = "--overwrite", description = "Start afresh in an --output folder that holds an earlier run (its outputs are replaced).")
    boolean overwrite;
    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (config != null) applyConfigFile();
        TrainConfig cfg;
        try {
            toConfig(model == null ? MINI : model); // every flag is checked before a hub model is downloaded
            cfg = toConfig(modelOptions.resolve(model).dir().toString());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        RunOptions options = new RunOptions(!noReuse, DeviceFlag.parse(device), MemoryFlags.attention(attention));
        Path out = Path.of(cfg.output());
        Path resumeFrom = resumePoint(out);
        Trainer trainer = new Trainer(cfg, new Console(), options);
        Trainer.Result r = trainer.run(resumeFrom);
        System.err.println("time by stage: " + r.times().summary());
        if (r.stoppedEarly()) {
            System.err.println("stopped at step " + r.steps() + "; continue with: cd4j train --config " + out.resolve("config.json") + " --resume latest");
            return 130;
        }
        System.out.println(r.delta());
        if (r.skippedSteps() > 0) System.err.println(r.skippedSteps() + " step(s) were skipped (non-finite loss or gradient); see metrics.jsonl");
        return 0;
    }

    /** Refuses to start over an earlier run unless --resume or --overwrite says what to do with it. */
    private Path resumePoint(Path out) throws IOException {
        if (resume != null) {
            Path cp = resume.equals("latest") ? Checkpoints.latest(out) : Path.of(resume);
            if (cp == null) throw new UsageException("--resume latest: " + out + " has no checkpoint yet");
            if (!Files.isDirectory(cp)) throw new UsageException("--resume " + cp + " is not a checkpoint folder");
            return cp;
        }
        boolean earlier = Files.exists(out.resolve("config.json")) || Files.exists(out.resolve(Trainer.DELTA))
                || Files.exists(out.resolve("checkpoints")) || Files.exists(out.resolve("metrics.jsonl"));
        if (earlier && !overwrite) {
            throw new UsageException("--output " + out + " holds an earlier run; pass --resume latest to continue it"
                    + " or --overwrite to start afresh");
        }
        if (earlier) {
            for (String f : List.of("metrics.jsonl", Trainer.DELTA, "config.json", Trainer.SUMMARY)) Files.deleteIfExists(out.resolve(f));
            for (String d : List.of("checkpoints", "validation")) AtomicFiles.deleteTree(out.resolve(d));
        }
        return null;
    }

    /** Sets every option not given on the command line from the JSON file (keys are the flag names). */
    private void applyConfigFile() throws IOException {
        if (!Files.isRegularFile(config)) throw new UsageException("--config " + config + " does not exist");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(config.toFile());
        } catch (IOException e) {
            throw new UsageException("--config " + config + " is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new UsageException("--config " + config + " must hold a JSON object");
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        ObjectMapper m = new ObjectMapper();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            OptionSpec o = spec.findOption("--" + e.getKey());
            if (o == null) continue; // derived values such as completed steps are informational
            if (pr.hasMatchedOption(o) || e.getValue().isNull()) continue;
            try {
                o.setValue(m.treeToValue(e.getValue(), o.type()));
            } catch (IOException | RuntimeException ex) {
                throw new UsageException("--config " + config + ": '" + e.getKey() + "' has a value of the wrong type");
            }
        }
    }

    /** The run's settings with {@code modelDir} as the model (the --model flag, or the folder it resolved to). */
    private TrainConfig toConfig(String modelDir) {
        if (output == null) throw new UsageException("--output is required");
        if (modifierToken == null) throw new UsageException("--modifier-token is required, e.g. \"<new1>\"");
        return new TrainConfig(modelDir, output, instanceDataDir, instancePrompt, classDataDir, classPrompt, conceptsList,
                modifierToken, initializerToken, or(withPriorPreservation, false), or(realPrior, false),
                or(priorLossWeight, 1.0), or(numClassImages, 200), or(sampleBatchSize, 4), or(priorGenerationSteps, 50),
                or(resolution, 512), or(trainBatchSize, 4), or(learningRate, 1e-5), or(scaleLr, false),
                or(lrScheduler, "constant"), or(lrWarmupSteps, 500), or(maxTrainSteps, 250), or(hflip, false),
                or(noAug, false), or(centerCrop, false), or(freezeModel, "crossattn_kv"), or(seed, 42L),
                or(checkpointingSteps, 250), or(checkpointsTotalLimit, 0), validationPrompt, or(validationSteps, 50),
                or(numValidationImages, 2), or(gradientAccumulationSteps, 1), or(maxGradNorm, 1.0), or(adamBeta1, 0.9),
                or(adamBeta2, 0.999), or(adamWeightDecay, 1e-2), or(adamEpsilon, 1e-8), or(mixedPrecision, "no"),
                or(trueMeanLoss, false), or(corruptImages, "refuse").toLowerCase(Locale.ROOT), or(gradientCheckpointing, false));
    }

    private static <T> T or(T v, T d) {
        return v != null ? v : d;
    }

    /** Training progress on the terminal. */
    private static final class Console implements TrainListener {
        private final Progress bar = Progress.start("train", System.err);

        @Override
        public void log(String message) {
            System.err.println(message);
        }

        @Override
        public void step(int step, int total, double loss, double lr, double seconds, boolean skipped) {
            bar.extra(String.format(Locale.ROOT, "loss %.4f, lr %.2e%s", loss, lr, skipped ? " (skipped)" : ""));
            bar.onStep(step, total, seconds);
        }

        @Override
        public void checkpoint(int step, Path dir) {
            System.err.println("checkpoint " + dir);
        }
    }
}
