package org.cd4j.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.MetricsLog;
import org.cd4j.io.AtomicFiles;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.sched.NoiseSchedule;
import org.cd4j.sched.SchedulerConfig;
import org.cd4j.text.ClipTextConfig;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;
import org.cd4j.vae.AutoencoderKL;
import org.cd4j.vae.VaeConfig;
import org.cd4j.world.World;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code cd4j pretrain}: makes the mini text-to-image model from the synthetic world, in the
 * diffusers Stable Diffusion layout cd4j loads like any other. Stage 1 trains the VAE, stage 2
 * the UNet and the CLIP text encoder (real CLIP tokenizer) from scratch on the VAE's latents.
 * Resumable: running it again on the same output continues from the newest checkpoint of the
 * unfinished stage, and ends with the same weights as an uninterrupted run. {@code
 * model_index.json} is written last, so a folder is a loadable model only once it is complete.
 */
public final class Pretrainer {
    static final String STATE = "pretrain";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final PretrainConfig cfg;
    private final PretrainListener listener;

    public Pretrainer(PretrainConfig cfg, PretrainListener listener) {
        this.cfg = cfg;
        this.listener = listener;
    }

    /** Runs or continues both stages; returns the finished model folder. */
    public Path run() throws IOException {
        Path out = cfg.output();
        Path state = out.resolve(STATE);
        checkOutput(out, state);
        if (Files.isRegularFile(out.resolve("model_index.json"))
                && StageState.latestStep(state.resolve("checkpoints"), DiffusionStage.NAME) >= cfg.totalSteps()) {
            listener.message(out + " is already a finished model");
            return out;
        }
        for (String c : MiniModelFiles.CONFIGS) {
            if (c.equals("model_index.json") || c.equals("vae/config.json") && Files.exists(out.resolve(c))) continue;
            MiniModelFiles.writeConfig(out, c);
        }
        if (cfg.zeroSnr().steps() > 0) MiniModelFiles.setZeroSnr(out);
        MiniModelFiles.writeVocabulary(out);
        World world = new World(cfg.seed());
        Path checkpoints = state.resolve("checkpoints");
        // each stage resumes from its newest checkpoint: its lines after that step are logged again, so drop them now
        int vaeDone = Files.isRegularFile(out.resolve("vae/" + UNet2DConditionModel.SAFETENSORS_WEIGHTS)) ? cfg.vaeSteps()
                : Math.max(0, StageState.latestStep(checkpoints, VaeStage.NAME));
        int diffusionDone = Math.max(0, StageState.latestStep(checkpoints, DiffusionStage.NAME));
        try (MetricsLog metrics = MetricsLog.open(state.resolve("metrics.jsonl"), n -> {
            long step = n.path("step").asLong(Long.MAX_VALUE);
            return switch (n.path("stage").asText()) {
                case VaeStage.NAME -> step <= vaeDone;
                case DiffusionStage.NAME -> step <= diffusionDone;
                default -> true;
            };
        })) {
            AutoencoderKL vae = vaeStage(out, world, checkpoints, metrics);
            LatentSet data = LatentSet.loadOrEncode(state.resolve("latents.safetensors"), world, vae, cfg.datasetSize(),
                    1L << 40, listener);
            // the same pictures first, so the focus phase sees the cycles' set and more
            LatentSet focusData = cfg.focus().steps() == 0 ? null
                    : LatentSet.loadOrEncode(state.resolve("latents-focus.safetensors"), world, vae,
                    cfg.focus().datasetSize(), 1L << 40, listener);
            ClipTextModel te = new ClipTextModel(ClipTextConfig.load(out.resolve("text_encoder/config.json")), DType.F32);
            ParamInit.apply(te, Seeds.of(cfg.seed(), 11));
            UNet2DConditionModel unet = new UNet2DConditionModel(UNetConfig.load(out.resolve("unet/config.json")), DType.F32);
            ParamInit.apply(unet, Seeds.of(cfg.seed(), 12));
            // the phases choose their schedule themselves; the config file describes the finished model
            SchedulerConfig sched = SchedulerConfig.load(out.resolve("scheduler/scheduler_config.json"));
            ClipTokenizer tok = ClipTokenizer.load(out.resolve("tokenizer"));
            listener.message("diffusion: UNet " + unet.parameterCount() + " and text encoder " + te.parameterCount() + " parameters");
            new DiffusionStage(cfg, data, focusData, tok, te, unet, NoiseSchedule.fromConfig(sched, false),
                    NoiseSchedule.fromConfig(sched, true), vae.scalingFactor(), listener).run(checkpoints, metrics);
            writeWeights(out.resolve("unet/" + UNet2DConditionModel.SAFETENSORS_WEIGHTS), unet);
            writeWeights(out.resolve("text_encoder/model.safetensors"), te);
        }
        MiniModelFiles.writeConfig(out, "model_index.json");
        listener.message("model written to " + out);
        return out;
    }

    private AutoencoderKL vaeStage(Path out, World world, Path checkpoints, MetricsLog metrics) throws IOException {
        Path weights = out.resolve("vae/" + UNet2DConditionModel.SAFETENSORS_WEIGHTS);
        if (Files.isRegularFile(weights)) {
            listener.message("vae: reusing " + weights);
            return AutoencoderKL.load(out.resolve("vae"), DType.F32);
        }
        AutoencoderKL vae = new AutoencoderKL(VaeConfig.load(out.resolve("vae/config.json")), DType.F32);
        ParamInit.apply(vae, Seeds.of(cfg.seed(), 10));
        listener.message("vae: " + vae.parameterCount() + " parameters");
        VaeStage stage = new VaeStage(cfg, world, vae, listener);
        stage.run(checkpoints, metrics);
        double std = stage.latentStd(Math.min(512, cfg.datasetSize()));
        MiniModelFiles.setScalingFactor(out, 1.0 / std);
        writeWeights(weights, vae);
        listener.message("vae: latent std " + std + ", scaling_factor " + (1.0 / std));
        // reload so the scaling factor just written is the one used from here on
        return AutoencoderKL.load(out.resolve("vae"), DType.F32);
    }

    private static void writeWeights(Path file, Module m) throws IOException {
        SafetensorsWriter.write(file, m.namedParameters(), Map.of("format", "pt"), true);
    }

    /** Removes the settings of a phase the earlier run did not have from both sides of the comparison. */
    private static void dropKeys(String prefix, ObjectNode... nodes) {
        for (ObjectNode n : nodes) {
            List<String> keys = new ArrayList<>();
            n.fieldNames().forEachRemaining(k -> {
                if (k.startsWith(prefix)) keys.add(k);
            });
            n.remove(keys);
        }
    }

    /** Refuses a folder that holds something else, or a run with other settings. */
    private void checkOutput(Path out, Path state) throws IOException {
        Path settings = state.resolve("pretrain.json");
        ObjectNode o = JSON.createObjectNode();
        o.put("seed", cfg.seed()).put("vae_steps", cfg.vaeSteps()).put("vae_batch", cfg.vaeBatch())
                .put("vae_crop", cfg.vaeCrop()).put("vae_lr", cfg.vaeLr()).put("dataset_size", cfg.datasetSize())
                .put("steps", cfg.steps()).put("batch", cfg.batch()).put("lr", cfg.lr())
                .put("warmup_steps", cfg.warmupSteps()).put("caption_dropout", cfg.captionDropout())
                .put("ema_decay", cfg.emaDecay()).put("max_grad_norm", cfg.maxGradNorm())
                .put("checkpointing_steps", cfg.checkpointEvery()).put("restart_steps", cfg.restartSteps());
        o.put("restarts", cfg.restarts());
        FocusConfig f = cfg.focus();
        o.put("focus_steps", f.steps()).put("focus_lr", f.lr()).put("focus_dataset_size", f.datasetSize())
                .put("focus_pattern_share", f.patternShare()).put("focus_mid_share", f.midShare())
                .put("focus_mid_from", f.midFrom()).put("focus_mid_to", f.midTo());
        ZeroSnrConfig z = cfg.zeroSnr();
        o.put("zero_snr_steps", z.steps()).put("zero_snr_lr", z.lr()).put("zero_snr_mid_share", z.midShare());
        String mine = JSON.writeValueAsString(o);
        if (Files.isRegularFile(settings)) {
            ObjectNode theirs = (ObjectNode) JSON.readTree(Files.readString(settings));
            // runs from before restart cycles could be counted had exactly one
            int done = theirs.has("restarts") ? theirs.remove("restarts").asInt() : 1;
            // runs from before the focus phase had none; a run without one may gain one, with any settings
            int focusDone = theirs.path("focus_steps").asInt(0);
            // and before the zero-SNR phase none either; a run without one may gain one in the same way
            int zeroDone = theirs.path("zero_snr_steps").asInt(0);
            // compared as parsed, so number types match
            ObjectNode rest = (ObjectNode) JSON.readTree(mine);
            rest.remove("restarts");
            if (focusDone == 0) dropKeys("focus_", theirs, rest);
            if (zeroDone == 0) dropKeys("zero_snr_", theirs, rest);
            if (!theirs.equals(rest)) {
                throw new IllegalArgumentException(out + " holds a pretraining run with other settings (" + settings
                        + "); use another --output or the same settings to resume");
            }
            if (cfg.restarts() < done) {
                throw new IllegalArgumentException(out + " holds a pretraining run with --restarts " + done
                        + "; it can be extended with more restart cycles, not shortened (asked for " + cfg.restarts() + ")");
            }
            if (cfg.restarts() > done && focusDone > 0) {
                throw new IllegalArgumentException(out + " holds a pretraining run whose focus phase follows its " + done
                        + " restart cycles; cycles cannot be added after it (asked for --restarts " + cfg.restarts() + ")");
            }
            boolean addsFocus = focusDone == 0 && cfg.focus().steps() > 0;
            boolean addsZero = zeroDone == 0 && cfg.zeroSnr().steps() > 0;
            if (cfg.restarts() > done || addsFocus || addsZero) {
                listener.message("extending " + out + (cfg.restarts() > done ? " from " + done + " to " + cfg.restarts()
                        + " restart cycles" : "") + (addsFocus ? " with a focus phase of " + cfg.focus().steps() + " steps" : "")
                        + (addsZero ? " with a zero-SNR phase of " + cfg.zeroSnr().steps() + " steps" : ""));
                // the folder is a finished model again only once the longer run's weights are written
                Files.deleteIfExists(out.resolve("model_index.json"));
                byte[] bytes = mine.getBytes(StandardCharsets.UTF_8);
                AtomicFiles.write(settings, true, w -> w.write(bytes));
            }
            return;
        }
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException("--output " + out + " exists and is not a cd4j pretraining folder; choose a new folder");
                }
            }
        }
        byte[] bytes = mine.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(settings, false, w -> w.write(bytes));
    }
}
