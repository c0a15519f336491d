package org.cd4j.pretrain;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.GradClip;
import org.cd4j.concept.LrSchedule;
import org.cd4j.concept.MetricsLog;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.sched.NoiseSchedule;
import org.cd4j.sched.PredictionType;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.world.Captions;
import org.cd4j.world.Mentions;
import org.cd4j.world.Scene;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Stage 2 of pretraining: UNet and text encoder together, from scratch, with Stable Diffusion's
 * objective — noise a posterior sample of the latents at a uniform timestep and predict the
 * noise from the caption's last hidden state (MSE). A share of captions is replaced by the empty
 * prompt so the same model is the unconditional one classifier-free guidance needs. Captions name
 * a fresh random choice of the scene's attributes every time a picture is drawn. After the cosine
 * cycles comes the pattern-focus phase ({@link FocusConfig}): the same objective on a larger set of
 * pictures, with most patterns named and a share of timesteps from the middle range. Last comes
 * the zero-SNR phase ({@link ZeroSnrConfig}): the focus phase's draws on the rescaled schedule,
 * with the velocity as target.
 */
final class DiffusionStage {
    static final String NAME = "diffusion";

    private final PretrainConfig cfg;
    private final LatentSet data;
    private final LatentSet focusData;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final UNet2DConditionModel unet;
    private final NoiseSchedule schedule;
    private final NoiseSchedule zeroSnrSchedule;
    private final double scalingFactor;
    private final PretrainListener listener;
    private final Map<String, long[]> tokenCache = new HashMap<>();

    /**
     * @param focusData       the focus phase's pictures (null when the run has no focus phase)
     * @param schedule        Stable Diffusion's schedule, of the cycles and the focus phase
     * @param zeroSnrSchedule the same rescaled to zero terminal SNR, of the zero-SNR phase
     */
    DiffusionStage(PretrainConfig cfg, LatentSet data, LatentSet focusData, ClipTokenizer tokenizer, ClipTextModel textEncoder,
                   UNet2DConditionModel unet, NoiseSchedule schedule, NoiseSchedule zeroSnrSchedule, double scalingFactor,
                   PretrainListener listener) {
        if (cfg.focus().steps() > 0 && focusData == null) throw new IllegalArgumentException("the focus phase needs its pictures");
        this.cfg = cfg;
        this.data = data;
        this.focusData = focusData;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.schedule = schedule;
        this.zeroSnrSchedule = zeroSnrSchedule;
        this.scalingFactor = scalingFactor;
        this.listener = listener;
    }

    /** Trains (or continues from the newest checkpoint) and leaves the averaged weights in both models. */
    void run(Path checkpoints, MetricsLog metrics) throws IOException {
        Map<String, Module> modules = new LinkedHashMap<>();
        modules.put("unet", unet);
        modules.put("text_encoder", textEncoder);
        StageState state = new StageState(NAME, modules, 1e-2);
        if (state.restoreLatest(checkpoints)) listener.message("diffusion: resuming at step " + state.step());
        LrSchedule first = new LrSchedule("cosine", cfg.lr(), cfg.warmupSteps(), cfg.steps());
        LrSchedule restart = cfg.restartSteps() == 0 ? null
                : new LrSchedule("cosine", cfg.lr() / 2, Math.min(cfg.warmupSteps(), cfg.restartSteps() / 10), cfg.restartSteps());
        // every restart cycle has the same schedule, so adding cycles to a finished run changes none before
        FocusConfig focus = cfg.focus();
        LrSchedule focusLr = new LrSchedule("cosine", focus.lr(), focus.warmup(), Math.max(1, focus.steps()));
        ZeroSnrConfig zero = cfg.zeroSnr();
        LrSchedule zeroLr = new LrSchedule("cosine", zero.lr(), zero.warmup(), Math.max(1, zero.steps()));
        java.util.function.IntToDoubleFunction lr = s -> s >= cfg.focusEnd() ? zeroLr.at(s - cfg.focusEnd())
                : s >= cfg.cycleSteps() ? focusLr.at(s - cfg.cycleSteps())
                : s < cfg.steps() ? first.at(s) : restart.at((s - cfg.steps()) % cfg.restartSteps());
        long started = System.nanoTime();
        int firstStep = state.step();
        while (state.step() < cfg.totalSteps()) {
            int step = state.step();
            boolean zeroPhase = step >= cfg.focusEnd();
            // the earlier phases' average predicts the noise, not the velocity: start it afresh
            if (step == cfg.focusEnd()) state.restartAverage();
            double loss;
            try (PointerScope scope = new PointerScope()) {
                Tensor ids, latents, noise, t;
                if (step < cfg.cycleSteps()) {
                    int[] idx = indices(step);
                    Rng rng = Rng.seeded(Seeds.of(cfg.seed(), 3, step));
                    SplittableRandom captions = new SplittableRandom(Seeds.of(cfg.seed(), 4, step));
                    ids = captionIds(data, idx, captions, 0);
                    latents = sampleLatents(data, idx, rng);
                    noise = rng.randn(Tensors.shape(latents));
                    t = rng.randint(0, schedule.numTrainTimesteps(), idx.length);
                } else {
                    // the focus phase draws its samples with replacement, and its timesteps after the noise;
                    // the zero-SNR phase goes on with the same draws, another share of middle timesteps
                    int s = step - cfg.cycleSteps();
                    SplittableRandom r = new SplittableRandom(Seeds.of(cfg.seed(), 6, s));
                    int[] idx = new int[cfg.batch()];
                    for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(focusData.size());
                    ids = captionIds(focusData, idx, r, focus.patternShare());
                    Rng rng = Rng.seeded(Seeds.of(cfg.seed(), 7, s));
                    latents = sampleLatents(focusData, idx, rng);
                    noise = rng.randn(Tensors.shape(latents));
                    long[] ts = new long[idx.length];
                    for (int i = 0; i < ts.length; i++) {
                        ts[i] = r.nextDouble() < (zeroPhase ? zero.midShare() : focus.midShare())
                                ? focus.midFrom() + r.nextInt(focus.midTo() - focus.midFrom())
                                : r.nextInt(schedule.numTrainTimesteps());
                    }
                    t = Tensors.fromLongs(ts, ts.length);
                }
                NoiseSchedule q = zeroPhase ? zeroSnrSchedule : schedule;
                Tensor noisy = q.addNoise(latents, noise, t);
                Tensor states = textEncoder.forward(ids).lastHiddenState();
                Tensor pred = unet.forward(noisy, t, states);
                Tensor target = q.trainingTarget(zeroPhase ? PredictionType.V_PREDICTION : PredictionType.EPSILON, latents, noise, t);
                Tensor total = pred.sub(target).pow(new Scalar(2)).mean();
                total.backward();
                double norm = GradClip.clip(state.params().values(), cfg.maxGradNorm());
                loss = total.item_double();
                if (Double.isFinite(loss) && Double.isFinite(norm)) state.optimizer().step(lr.applyAsDouble(step));
                else listener.message("diffusion: step " + (step + 1) + " not finite, update skipped");
                state.optimizer().zeroGrad();
            }
            state.finishStep(cfg.emaDecay());
            ObjectNode r = metrics.record().put("stage", NAME).put("step", state.step()).put("loss", loss).put("lr", lr.applyAsDouble(step));
            if (step >= cfg.cycleSteps()) r.put("phase", zeroPhase ? "zero_snr" : "focus");
            metrics.write(r);
            listener.step(NAME, state.step(), cfg.totalSteps(), loss, (System.nanoTime() - started) / 1e9 / (state.step() - firstStep));
            boolean cycleEnd = state.step() == cfg.steps() || state.step() == cfg.totalSteps() || state.step() == cfg.focusEnd()
                    || state.step() > cfg.steps() && state.step() <= cfg.cycleSteps()
                    && (state.step() - cfg.steps()) % cfg.restartSteps() == 0;
            if (state.step() % cfg.checkpointEvery() == 0 || cycleEnd) {
                state.save(checkpoints);
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            copy(state.averaged("unet"), unet);
            copy(state.averaged("text_encoder"), textEncoder);
        }
        unet.requiresGrad(false);
        textEncoder.requiresGrad(false);
    }

    private static void copy(Map<String, Tensor> from, Module to) {
        to.namedParameters().forEach((k, t) -> t.copy_(from.get(k)));
    }

    /** The samples of a step: consecutive slices of a fresh seeded permutation per epoch. */
    private int[] indices(int step) {
        int n = data.size();
        int[] out = new int[cfg.batch()];
        for (int i = 0; i < out.length; i++) {
            long pos = (long) step * cfg.batch() + i;
            int epoch = (int) (pos / n);
            out[i] = permutation(epoch)[(int) (pos % n)];
        }
        return out;
    }

    private int cachedEpoch = -1;
    private int[] cachedPerm;

    private int[] permutation(int epoch) {
        if (epoch != cachedEpoch) {
            int n = data.size();
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            SplittableRandom r = new SplittableRandom(Seeds.of(cfg.seed(), 5, epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = p[i];
                p[i] = p[j];
                p[j] = tmp;
            }
            cachedEpoch = epoch;
            cachedPerm = p;
        }
        return cachedPerm;
    }

    /** A posterior sample of the samples' latents, scaled: (B, 4, h, w). */
    private Tensor sampleLatents(LatentSet set, int[] idx, Rng rng) {
        Tensor m = set.moments(idx);                          // (B, 8, h, w)
        TensorVector ms = m.chunk(2, 1);                      // mean, logvar: (B, 4, h, w) each
        Tensor std = torch.clamp(ms.get(1), new org.bytedeco.pytorch.ScalarOptional(new Scalar(-30.0)),
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(20.0))).mul(new Scalar(0.5)).exp();
        return ms.get(0).add(std.mul(rng.randn(Tensors.shape(std)))).mul(new Scalar(scalingFactor));
    }

    /** @param patternShare chance of naming a pattern the caption left out (0 in the cycles) */
    private Tensor captionIds(LatentSet set, int[] idx, SplittableRandom r, double patternShare) {
        int len = tokenizer.maxLength();
        long[] ids = new long[idx.length * len];
        for (int i = 0; i < idx.length; i++) {
            boolean drop = r.nextDouble() < cfg.captionDropout();
            String caption = "";
            if (!drop) {
                Scene scene = set.scene(idx[i]);
                Mentions m = Captions.choose(scene, r);
                if (patternShare > 0) m = Captions.namingPattern(m, scene, patternShare, r);
                caption = Captions.text(m);
            }
            long[] row = tokenCache.computeIfAbsent(caption, c -> {
                int[] enc = tokenizer.encode(c);
                long[] l = new long[enc.length];
                for (int k = 0; k < enc.length; k++) l[k] = enc[k];
                return l;
            });
            System.arraycopy(row, 0, ids, i * len, len);
        }
        return Tensors.fromLongs(ids, idx.length, len);
    }
}
