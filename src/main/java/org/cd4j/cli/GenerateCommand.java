package org.cd4j.cli;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.io.Png;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.Images;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.pipeline.ModelSource;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.sched.Samplers;
import org.cd4j.vae.VaeTiling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code cd4j generate}: text-to-image with a Stable Diffusion folder, seed-compatible with diffusers on CPU. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate images from a prompt (same seed, same image as diffusers on CPU).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "Diffusers Stable Diffusion folder, or a Hugging Face hub id (downloaded into the hub cache);"
                    + " default: the mini model shipped with cd4j.")
    String model;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;

    /** The folder --model led to (set once the flags are checked). */
    private ModelSource.Resolved resolved;

    /** Whether the images are decoded tile by tile (recorded in the PNGs). */
    private boolean tiled;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "What to draw.")
    String prompt;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "What to avoid (default: the empty prompt).")
    String negativePrompt;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default: a random one, printed and stored in the PNG).")
    Long seed;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "50", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", paramLabel = "F", defaultValue = "7.5",
            description = "Classifier-free guidance scale; 1 or less turns guidance off (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "Sampler: ddpm, ddim, pndm, euler, euler-a, dpm++2m (default: the model's own).")
    String scheduler;

    @Option(names = "--eta", paramLabel = "F", defaultValue = "0", description = "DDIM eta in [0, 1] (default: ${DEFAULT-VALUE}).")
    double eta;

    @Option(names = "--karras", description = "Use Karras sigmas (euler, dpm++2m).")
    boolean karras;

    @Option(names = "--height", paramLabel = "H", description = "Image height, a multiple of 8 (default: the model's).")
    int height;

    @Option(names = "--width", paramLabel = "W", description = "Image width, a multiple of 8 (default: the model's).")
    int width;

    @Option(names = "--num-images", paramLabel = "N", defaultValue = "1", description = "Images to generate (default: ${DEFAULT-VALUE}).")
    int numImages;

    // --- Custom Diffusion deltas (org.cd4j.concept.delta) ---
    @Option(names = "--delta", paramLabel = "FILE",
            description = "A trained concept to apply (cd4j, adobe, diffusers or CompVis delta; repeatable).")
    List<Path> deltas = new ArrayList<>();

    @Option(names = "--force", description = "Apply deltas even if they record another base model.")
    boolean force;

    /** The delta file names, for the PNG parameters. */
    private String deltaNames() {
        List<String> names = new ArrayList<>();
        for (Path d : deltas) names.add(String.valueOf(d.getFileName()));
        return String.join(", ", names) + (merge ? " (merged)" : ""); // (merged): --merge
    }
    // --- end deltas ---

    // --- merging several deltas on the fly (org.cd4j.concept.merge, same algorithm as `cd4j merge`) ---
    @Option(names = "--merge",
            description = "Merge the --delta files on the fly (closed form, as `cd4j merge`); their tokens become <new1>, <new2> … in --delta order.")
    boolean merge;

    @Option(names = "--categories", paramLabel = "TEXT",
            description = "With --merge: each delta's class word, '+'-separated in --delta order (default: from the deltas' metadata).")
    String categories;

    @Option(names = "--reg-prompts", paramLabel = "FILE",
            description = "With --merge: regularisation captions, one per line (default: cd4j's own set).")
    Path regPrompts;

    private void checkMergeFlags() {
        if (!merge && (categories != null || regPrompts != null)) {
            throw new UsageException("--categories and --reg-prompts only apply with --merge");
        }
        if (merge && deltas.size() < 2) throw new UsageException("--merge needs at least two --delta files, got " + deltas.size());
        if (regPrompts != null && !Files.isRegularFile(regPrompts)) {
            throw new UsageException("--reg-prompts " + regPrompts + " is not a file (one caption per line expected)");
        }
    }

    /** Applies the --delta files as they are, or (--merge) their merge; without --merge overlapping deltas are refused. */
    private void applyDeltas(StableDiffusion sd) throws IOException {
        java.util.function.Consumer<String> warn = w -> System.err.println("warning: " + w);
        if (!merge) {
            DeltaApplier.applyFiles(sd, deltas, force, warn);
            return;
        }
        org.cd4j.concept.merge.ConceptMerger.Result r;
        try {
            r = org.cd4j.concept.merge.MergeFiles.merge(resolved.dir(), deltas, categories, regPrompts, warn);
        } catch (org.cd4j.concept.merge.Categories.CategoryException e) {
            throw new UsageException(e.getMessage());
        }
        System.err.print("merged " + deltas.size() + " deltas; tokens:\n" + r.report().mapping().indent(2));
        List<DeltaApplier.Result> applied = DeltaApplier.apply(sd, List.of(new DeltaApplier.Entry(r.delta(), 1.0,
                "merge of " + deltaNames())), force);
        applied.forEach(a -> a.warnings().forEach(warn));
    }
    // --- end merging ---

    @Option(names = "--latents", paramLabel = "FILE.safetensors",
            description = "Initial latents (entry 'latents', (N, 4, H/8, W/8)); scaled by the sampler's init sigma.")
    Path latents;

    @Option(names = "--output", paramLabel = "PATH", defaultValue = "outputs",
            description = "A .png file, or a folder for numbered images (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--save-tensor", paramLabel = "FILE.safetensors",
            description = "Also save the decoded images (float32 (N, 3, H, W), unclamped) as entry 'images'.")
    Path saveTensor;

    @Option(names = "--dtype", paramLabel = "fp32|bf16|fp16", defaultValue = "fp32", description = "Compute dtype (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", description = DeviceFlag.HELP)
    String device;

    @Option(names = "--attention", paramLabel = "MODE", defaultValue = "auto", description = MemoryFlags.ATTENTION_HELP)
    String attention;

    @Option(names = "--vae-tiling", paramLabel = "MODE", defaultValue = "auto", description = MemoryFlags.TILING_HELP)
    String vaeTiling;

    @Option(names = "--overwrite", description = "Replace existing output files.")
    boolean overwrite;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        checkFlags();
        long s = seed != null ? seed : new SecureRandom().nextLong() & 0xFFFFFFFFL;
        DType dt = parseDType();
        Device dev = DeviceFlag.parse(device);
        AttentionKernel kernel = MemoryFlags.attention(attention);
        VaeTiling.Mode tiling = MemoryFlags.tiling(vaeTiling);
        List<Path> targets = outputPaths(s);
        resolved = modelOptions.resolve(model); // after the flags: a download must not precede a usage error
        Tensor init = null;
        SafetensorsFile latentFile = null;
        try {
            if (latents != null) {
                if (!Files.isRegularFile(latents)) throw new UsageException("--latents " + latents + " does not exist");
                latentFile = SafetensorsFile.open(latents);
                if (!latentFile.keys().contains("latents")) {
                    throw new UsageException("--latents " + latents + " has no entry named 'latents' (it has " + latentFile.keys() + ")");
                }
                init = latentFile.tensor("latents").clone();
            }
            StableDiffusion sd = StableDiffusion.load(resolved.dir(), dt);
            applyDeltas(sd); // --delta, --merge
            sd.to(dev);
            sd.setAttentionKernel(kernel);
            sd.vae().setTiling(tiling);
            GenerationRequest req = new GenerationRequest(prompt, negativePrompt, s, steps, guidance, scheduler, eta,
                    height, width, numImages, karras, init);
            String samplerName = sd.sampler(req).name();
            int f = sd.vaeScaleFactor();
            int outH = height == 0 ? sd.defaultSize() : height, outW = width == 0 ? sd.defaultSize() : width;
            tiled = sd.vae().tilesDecode(outH / f, outW / f);
            Tensor decoded;
            try (Progress bar = Progress.start("generate", System.err)) {
                decoded = sd.generate(req, bar);
            }
            if (saveTensor != null) {
                SafetensorsWriter.write(saveTensor, Map.of("images", decoded), Map.of("format", "pt"), overwrite);
            }
            List<BufferedImage> images = Images.toImages(decoded);
            int h = images.get(0).getHeight(), w = images.get(0).getWidth();
            for (int i = 0; i < images.size(); i++) {
                Png.write(targets.get(i), images.get(i), parameters(s, samplerName, w, h, i), overwrite);
                System.out.println(targets.get(i));
            }
            System.err.printf(Locale.ROOT, "seed %d, %d step(s) with %s, %dx%d%n", s, steps, samplerName, w, h);
            return 0;
        } finally {
            if (latentFile != null) latentFile.close();
        }
    }

    private void checkFlags() {
        if (steps < 1) throw new UsageException("--steps must be at least 1, got " + steps);
        if (numImages < 1) throw new UsageException("--num-images must be at least 1, got " + numImages);
        if (height < 0 || height % 8 != 0) throw new UsageException("--height must be a positive multiple of 8, got " + height);
        if (width < 0 || width % 8 != 0) throw new UsageException("--width must be a positive multiple of 8, got " + width);
        if (!(eta >= 0 && eta <= 1)) throw new UsageException("--eta must lie in [0, 1], got " + eta);
        if (scheduler != null && !Samplers.names().contains(scheduler)) {
            throw new UsageException("--scheduler '" + scheduler + "' is unknown; choose one of " + String.join(", ", Samplers.names()));
        }
        for (Path d : deltas) if (!Files.exists(d)) throw new UsageException("--delta " + d + " does not exist");
        checkMergeFlags(); // --merge
        if (saveTensor != null && !overwrite && Files.exists(saveTensor)) {
            throw new UsageException("--save-tensor " + saveTensor + " already exists (use --overwrite to replace it)");
        }
    }

    private DType parseDType() {
        try {
            return DType.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dtype " + e.getMessage());
        }
    }

    /** Decides every output file before any work, so a clash is reported at once. */
    private List<Path> outputPaths(long s) throws IOException {
        List<Path> out = new ArrayList<>();
        if (Png.isPngName(output)) {
            String name = output.getFileName().toString();
            String stem = name.substring(0, name.length() - 4);
            for (int i = 0; i < numImages; i++) {
                Path p = numImages == 1 ? output : output.resolveSibling(stem + "-" + i + ".png");
                if (!overwrite && Files.exists(p)) throw new UsageException("--output " + p + " already exists (use --overwrite to replace it)");
                out.add(p);
            }
        } else {
            if (Files.exists(output) && !Files.isDirectory(output)) {
                throw new UsageException("--output " + output + " is neither a folder nor a .png file name");
            }
            // In a folder, never replace: number the images after the ones already there.
            int k = 0;
            for (int i = 0; i < numImages; i++) {
                Path p;
                do {
                    p = output.resolve(String.format(Locale.ROOT, "%05d-%d.png", k++, s));
                } while (Files.exists(p));
                out.add(p);
            }
        }
        return out;
    }

    private Map<String, String> parameters(long s, String sampler, int w, int h, int index) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("prompt", prompt);
        m.put("negative_prompt", negativePrompt == null ? "" : negativePrompt);
        m.put("seed", Long.toString(s));
        m.put("image_index", Integer.toString(index));
        m.put("steps", Integer.toString(steps));
        m.put("sampler", sampler + (karras ? " karras" : ""));
        m.put("guidance", Double.toString(guidance));
        if (eta != 0) m.put("eta", Double.toString(eta));
        m.put("size", w + "x" + h);
        m.put("model", resolved.origin());
        m.put("dtype", dtype);
        if (tiled) m.put("vae_tiling", "on"); // the pixels differ from an untiled decode near the seams
        if (!deltas.isEmpty()) m.put("deltas", deltaNames());
        m.put("software", "cd4j");
        // One line in the style other tools read ("parameters" chunk).
        m.put("parameters", prompt + "\nNegative prompt: " + m.get("negative_prompt") + "\nSteps: " + steps
                + ", Sampler: " + m.get("sampler") + ", CFG scale: " + guidance + ", Seed: " + s
                + ", Size: " + w + "x" + h + ", Model: " + ModelFolder.displayName(resolved.dir())
                + (deltas.isEmpty() ? "" : ", Deltas: " + deltaNames()));
        return m;
    }
}
