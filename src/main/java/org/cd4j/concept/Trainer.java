package org.cd4j.concept;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.data.Augmentation;
import org.cd4j.concept.data.Batch;
import org.cd4j.concept.data.ClassImages;
import org.cd4j.concept.data.Concept;
import org.cd4j.concept.data.ConceptDataset;
import org.cd4j.concept.data.ConceptsList;
import org.cd4j.concept.data.CorruptImagePolicy;
import org.cd4j.concept.data.TrainBatches;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.io.AtomicFiles;
import org.cd4j.io.Png;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.Autocast;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.Images;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.sched.NoiseSchedule;
import org.cd4j.sched.PredictionType;
import org.cd4j.unet.SegmentTape;
import org.cd4j.vae.EncoderOutput;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Custom Diffusion training run (the diffusers trainer's loop with the reference bugs fixed):
 * per step, VAE latents of the instance (+ class) pictures, a random timestep and noise per
 * sample, the noisy latents, the UNet's prediction conditioned on the captions, the reference
 * loss, backward, clipping, AdamW. Checkpoints hold the complete state and a resumed run ends
 * with the same delta, bit for bit, as an uninterrupted one. A step whose loss or gradient is
 * not finite is reported and skipped, never applied or saved.
 */
public final class Trainer {
    /** The final delta's file name in the output folder. */
    public static final String DELTA = "delta.cd4j.safetensors";

    /** The run's timing and cache summary in the output folder. */
    public static final String SUMMARY = "summary.json";

    private final TrainConfig cfg;
    private final TrainListener listener;
    private final RunOptions options;
    private final AtomicBoolean stop = new AtomicBoolean();
    /** Counted down when {@link #run} has written what it must; Ctrl-C's hook waits for it. */
    private final java.util.concurrent.CountDownLatch settled = new java.util.concurrent.CountDownLatch(1);

    public Trainer(TrainConfig cfg, TrainListener listener) {
        this(cfg, listener, RunOptions.DEFAULT);
    }

    public Trainer(TrainConfig cfg, TrainListener listener, RunOptions options) {
        this.cfg = cfg;
        this.listener = listener;
        this.options = options;
    }

    /** Asks a running {@link #run} to write a checkpoint and return after the current step. */
    public void requestStop() {
        stop.set(true);
    }

    /**
     * How a run ended.
     *
     * @param times this process's time by stage (a resumed run counts from its resumption)
     * @param latentCache what the VAE latent cache did
     */
    public record Result(Path output, Path delta, int steps, boolean stoppedEarly, int skippedSteps, StageTimes times,
                         LatentCache.Stats latentCache) {}

    /**
     * Runs (or, with {@code resumeFrom}, continues) the training.
     *
     * @param resumeFrom a checkpoint folder, or null to start fresh
     */
    public Result run(Path resumeFrom) throws IOException {
        Path out = Path.of(cfg.output());
        Files.createDirectories(out);
        List<Concept> concepts = concepts();
        if (cfg.withPriorPreservation() && cfg.realPrior()) {
            for (Concept c : concepts) if (c.classDataDir() != null) ClassImages.requireRealPrior(c.classDataDir());
        }
        StableDiffusion sd = StableDiffusion.load(Path.of(cfg.model()), DType.F32).to(options.device());
        sd.setAttentionKernel(options.attention());
        if (cfg.withPriorPreservation() && !cfg.realPrior()) PriorImages.ensure(sd, concepts, cfg, listener);

        ModifierTokens tokens = ModifierTokens.add(sd.tokenizer(), sd.textEncoder(), cfg.modifierTokens(), cfg.initializerTokens());
        TrainMode mode = cfg.mode();
        List<String> trainedNames = new ArrayList<>();
        for (String k : sd.unet().namedParameters().keySet()) if (mode.trains(k)) trainedNames.add(k);
        String baseSha = BaseModel.of(sd).identity(trainedNames);
        TrainableModel tm = TrainableModel.prepare(sd, tokens, mode);

        Augmentation aug = new Augmentation(cfg.resolution(), sd.vaeScaleFactor(), cfg.hflip(), !cfg.noAug(), cfg.centerCrop());
        ConceptDataset.Options opts = ConceptDataset.Options.of(aug, cfg.seed())
                .withPrior(cfg.withPriorPreservation(), cfg.numClassImages())
                .withModifierTokens(tokens.tokens())
                .withCorruptImages(CorruptImagePolicy.valueOf(cfg.corruptImages().toUpperCase(java.util.Locale.ROOT)), listener::log);
        ConceptDataset data = ConceptDataset.build(concepts, opts);
        TrainBatches batches = new TrainBatches(data, cfg.trainBatchSize());
        listener.log(data.instances().size() + " instance image(s), " + data.classImages().size() + " class image(s); "
                + tm.parameters().size() + " trained tensor(s), " + trainedElements(tm) + " parameters");

        AdamW opt = new AdamW(tm.parameters(), cfg.adamBeta1(), cfg.adamBeta2(), cfg.adamEpsilon(), cfg.adamWeightDecay());
        LrSchedule schedule = cfg.schedule();
        NoiseSchedule noise = NoiseSchedule.fromConfig(sd.schedulerConfig());
        PredictionType prediction = PredictionType.parse(
                sd.schedulerConfig().predictionType() == null ? "epsilon" : sd.schedulerConfig().predictionType());
        Rng rng = Rng.seeded(cfg.seed());
        String digest = configDigest();
        int start = 0;
        if (resumeFrom != null) {
            Checkpoints.State s = Checkpoints.load(resumeFrom);
            if (!s.configDigest().isEmpty() && !s.configDigest().equals(digest)) {
                throw new IllegalArgumentException(resumeFrom + " was written by a run with other settings; resume with the same"
                        + " flags (or --config " + out.resolve("config.json") + ")");
            }
            Checkpoints.restore(s, tm, opt, rng, resumeFrom.toString());
            start = s.step();
            listener.log("resumed from " + resumeFrom + " at step " + start);
        }
        writeConfig(out);
        DType amp = cfg.mixedPrecision().equals("no") ? DType.F32 : DType.parse(cfg.mixedPrecision());
        StageTimes times = new StageTimes();
        LatentCache latents = new LatentCache(sd.vae(), amp, options.reuse(), listener::log);
        CaptionStates captions = new CaptionStates(sd, tokens, options.reuse());

        // Ctrl-C: the JVM runs this hook and exits when it returns, so it waits until the loop
        // has finished its step and written a checkpoint.
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                settled.await(15, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cd4j-train-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        int skipped = 0;
        int step = start;
        long t0 = System.nanoTime();
        times.start();
        try (latents; captions; MetricsLog metrics = MetricsLog.open(out.resolve("metrics.jsonl"), start)) {
            while (step < cfg.maxTrainSteps() && !stop.get()) {
                double lr = schedule.at(step);
                double lossSum = 0, instSum = 0, priorSum = 0;
                int emptyMasks = 0;
                boolean finite = true;
                for (int micro = 0; micro < cfg.gradientAccumulationSteps(); micro++) {
                    Batch b = batches.batch((long) step * cfg.gradientAccumulationSteps() + micro);
                    times.lap(StageTimes.Stage.DATA);
                    try (PointerScope scope = new PointerScope()) {
                        CustomDiffusionLoss.Terms terms;
                        SegmentTape tape = cfg.gradientCheckpointing() ? new SegmentTape() : null;
                        try (Autocast ac = Autocast.to(options.device(), amp)) {
                            terms = forward(sd, b, noise, prediction, rng, tape, latents, captions, times);
                        }
                        double l = terms.loss().item_double();
                        times.lap(StageTimes.Stage.UNET_FORWARD);
                        finite &= Double.isFinite(l);
                        if (finite) {
                            Tensor scaled = terms.loss().div(new Scalar(cfg.gradientAccumulationSteps()));
                            if (tape != null) tape.backward(scaled); else scaled.backward();
                        }
                        times.lap(StageTimes.Stage.BACKWARD);
                        lossSum += l;
                        instSum += terms.instance().item_double();
                        priorSum += terms.prior().item_double();
                        emptyMasks += terms.emptyMasks();
                    }
                }
                double norm = finite ? GradClip.clip(tm.parameters().values(), cfg.maxGradNorm()) : Double.NaN;
                boolean skip = !finite || !Double.isFinite(norm);
                if (skip) {
                    skipped++;
                    listener.log("step " + (step + 1) + ": non-finite " + (finite ? "gradient" : "loss") + ", update skipped");
                } else {
                    opt.step(lr);
                }
                opt.zeroGrad();
                times.lap(StageTimes.Stage.OPTIMISER);
                step++;
                int n = cfg.gradientAccumulationSteps();
                double secs = (System.nanoTime() - t0) / 1e9;
                ObjectNode rec = metrics.record();
                rec.put("step", step);
                rec.put("loss", lossSum / n);
                rec.put("instance_loss", instSum / n);
                rec.put("prior_loss", priorSum / n);
                rec.put("lr", lr);
                rec.put("grad_norm", norm);
                rec.put("skipped", skip);
                rec.put("empty_masks", emptyMasks);
                rec.put("seconds", secs);
                times.lap(StageTimes.Stage.OTHER);
                times.putSeconds(rec.putObject("stage_seconds"));
                metrics.write(rec);
                listener.step(step, cfg.maxTrainSteps(), lossSum / n, lr, secs, skip);
                if (cfg.validationPrompt() != null && step % cfg.validationSteps() == 0) validate(sd, out, step);
                boolean last = step == cfg.maxTrainSteps();
                if (!last && (stop.get() || cfg.checkpointingSteps() > 0 && step % cfg.checkpointingSteps() == 0)) {
                    checkpoint(out, step, tm, opt, rng, digest, tokens, baseSha, sd);
                }
                times.lap(StageTimes.Stage.OTHER);
            }
        } finally {
            settled.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down (Ctrl-C): the checkpoint above was written
            }
        }
        boolean early = step < cfg.maxTrainSteps();
        Path delta = null;
        if (!early) {
            delta = out.resolve(DELTA);
            Cd4jDeltaFile.write(delta, delta(tm, tokens, baseSha, sd, step), true);
            tm.finish();
            listener.log("wrote " + delta);
        }
        writeSummary(out, step - start, times, latents.stats(), captions.fixedEncodes(), options.attention());
        return new Result(out, delta, step, early, skipped, times, latents.stats());
    }

    /** One forward pass and loss on a batch. */
    private CustomDiffusionLoss.Terms forward(StableDiffusion sd, Batch b, NoiseSchedule schedule, PredictionType prediction, Rng rng,
                                              SegmentTape tape, LatentCache cache, CaptionStates captions, StageTimes times) {
        Tensor latents;
        try (NoGradGuard g = new NoGradGuard()) {
            // the order of draws follows diffusers: posterior sample, noise, timesteps
            latents = EncoderOutput.fromMoments(cache.moments(b)).sample(rng).mul(new Scalar(sd.vae().scalingFactor()));
        }
        times.lap(StageTimes.Stage.VAE);
        // drawn on the CPU generator (the same numbers on every device), then moved
        Tensor noise = options.device().put(rng.randn(Tensors.shape(latents)));
        Tensor t = options.device().put(rng.randint(0, schedule.numTrainTimesteps(), latents.size(0)));
        Tensor noisy = schedule.addNoise(latents, noise, t);
        Tensor target = schedule.trainingTarget(prediction, latents, noise, t);
        times.lap(StageTimes.Stage.OTHER);
        Tensor ehs = captions.states(b.prompts());
        times.lap(StageTimes.Stage.TEXT);
        Tensor pred = sd.unet().forward(noisy, t, ehs, tape);
        return CustomDiffusionLoss.compute(pred, target, options.device().put(b.masks()), b.instanceCount(), cfg.priorLossWeight(),
                cfg.trueMeanLoss());
    }

    private void validate(StableDiffusion sd, Path out, int step) throws IOException {
        Path dir = out.resolve("validation");
        Files.createDirectories(dir);
        // diffusers validates with DPM-Solver++ 25 steps and a generator seeded with --seed
        GenerationRequest r = new GenerationRequest(cfg.validationPrompt(), null, cfg.seed(), 25, 7.5, "dpm++2m", 0.0,
                cfg.resolution(), cfg.resolution(), cfg.numValidationImages(), false, null);
        List<java.awt.image.BufferedImage> imgs;
        try (PointerScope s = new PointerScope()) {
            imgs = Images.toImages(sd.generate(r, (d, t, x) -> { }));
        }
        for (int i = 0; i < imgs.size(); i++) {
            Path p = dir.resolve(String.format(java.util.Locale.ROOT, "step-%06d-%d.png", step, i));
            Png.write(p, imgs.get(i), Map.of("prompt", cfg.validationPrompt(), "seed", Long.toString(cfg.seed()),
                    "step", Integer.toString(step), "software", "cd4j"), true);
            listener.validationImage(step, p);
        }
    }

    private void checkpoint(Path out, int step, TrainableModel tm, AdamW opt, Rng rng, String digest,
                            ModifierTokens tokens, String baseSha, StableDiffusion sd) throws IOException {
        Path dir = Checkpoints.save(out, step, tm, opt, rng, digest,
                tmp -> Cd4jDeltaFile.write(tmp.resolve(DELTA), delta(tm, tokens, baseSha, sd, step), true));
        Checkpoints.prune(out, cfg.checkpointsTotalLimit());
        listener.checkpoint(step, dir);
    }

    /**
     * The delta of the current weights: absolute trained weights (none in {@code --freeze-model all})
     * and token rows, with metadata. Written at once; it must not outlive the step.
     */
    private ConceptDelta delta(TrainableModel tm, ModifierTokens tokens, String baseSha, StableDiffusion sd, int step) throws IOException {
        Map<String, DeltaWeight> weights = new LinkedHashMap<>();
        Map<String, Tensor> rows = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            // Views of the live weights, not copies: the delta is written at once and dropped, and with
            // --freeze-model none it is the whole UNet (a copy would double the model's memory).
            tm.unetParameters().forEach((k, v) -> weights.put(k, DeltaWeight.full(v.detach())));
            for (int i = 0; i < tokens.tokens().size(); i++) rows.put(tokens.tokens().get(i), tm.tokenRows().select(0, i).detach().clone());
        }
        ObjectNode training = TrainConfig.json().valueToTree(cfg);
        training.put("completed-steps", step);
        training.put("effective-learning-rate", cfg.effectiveLearningRate());
        DeltaInfo info = new DeltaInfo(DeltaInfo.FORMAT_VERSION, tokens.initializers(), tm.mode(), baseSha,
                ModelFolder.displayName(Path.of(cfg.model())), training.toString(), "");
        return new ConceptDelta(weights, rows, info);
    }

    private List<Concept> concepts() throws IOException {
        if (cfg.conceptsList() != null) return ConceptsList.load(Path.of(cfg.conceptsList()));
        Path classDir = cfg.classDataDir() == null ? null : Path.of(cfg.classDataDir());
        String classPrompt = cfg.classPrompt() == null ? "" : cfg.classPrompt();
        return List.of(new Concept(cfg.instancePrompt(), cfg.withPriorPreservation() ? classPrompt : null,
                Path.of(cfg.instanceDataDir()), cfg.withPriorPreservation() ? classDir : null));
    }

    private static long trainedElements(TrainableModel tm) {
        long n = 0;
        for (Tensor t : tm.parameters().values()) n += t.numel();
        return n;
    }

    /** {@value #SUMMARY}: steps, time by stage, what the caches did and the attention mode, for people and tools. */
    private static void writeSummary(Path out, int steps, StageTimes times, LatentCache.Stats cache, int captionEncodes,
                                     AttentionKernel attention) throws IOException {
        ObjectNode n = TrainConfig.json().createObjectNode();
        n.put("steps", steps);
        n.put("seconds", Math.round(times.totalSeconds() * 1e3) / 1e3);
        times.putSeconds(n.putObject("stage_seconds"));
        ObjectNode c = n.putObject("latent_cache");
        c.put("encodes", cache.encodes());
        c.put("memory_hits", cache.memoryHits());
        c.put("disk_reads", cache.diskReads());
        c.put("disk_writes", cache.diskWrites());
        n.put("fixed_caption_encodes", captionEncodes);
        n.put("attention", attention.mode().flag());
        byte[] json = TrainConfig.json().writeValueAsBytes(n);
        AtomicFiles.write(out.resolve(SUMMARY), true, o -> o.write(json));
    }

    private void writeConfig(Path out) throws IOException {
        byte[] json = TrainConfig.json().writeValueAsBytes(cfg);
        AtomicFiles.write(out.resolve("config.json"), true, o -> o.write(json));
    }

    /**
     * A digest of the settings that decide the trajectory (not output, validation or
     * checkpointing choices), so a resume with different settings is refused.
     */
    String configDigest() {
        ObjectNode n = TrainConfig.json().valueToTree(cfg);
        for (String k : List.of("output", "checkpointing-steps", "checkpoints-total-limit", "validation-prompt",
                "validation-steps", "num-validation-images", "corrupt-images", "model")) n.remove(k);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(n.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
