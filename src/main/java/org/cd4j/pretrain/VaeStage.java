package org.cd4j.pretrain;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.GradClip;
import org.cd4j.concept.LrSchedule;
import org.cd4j.concept.MetricsLog;
import org.cd4j.nn.Rng;
import org.cd4j.vae.AutoencoderKL;
import org.cd4j.vae.EncoderOutput;
import org.cd4j.world.World;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Stage 1 of pretraining: the autoencoder alone, on freshly rendered world pictures. Loss per
 * element: L1 + L2 reconstruction of a posterior sample, plus a KL term weighted 1e-6 that only
 * keeps the latent space smooth (as in Stable Diffusion's VAE, which is an autoencoder in all
 * but name). The first seven eighths of the steps use random crops (the network is
 * convolutional but for one attention layer, and crops cost a quarter), the rest whole pictures
 * so that attention sees the full latent grid it will be used on. Afterwards the latent
 * standard deviation is measured and {@code scaling_factor = 1/std}, as SD's 0.18215 was.
 */
final class VaeStage {
    static final String NAME = "vae";
    private static final double KL_WEIGHT = 1e-6;

    private final PretrainConfig cfg;
    private final World world;
    private final AutoencoderKL vae;
    private final PretrainListener listener;

    VaeStage(PretrainConfig cfg, World world, AutoencoderKL vae, PretrainListener listener) {
        this.cfg = cfg;
        this.world = world;
        this.vae = vae;
        this.listener = listener;
    }

    /** Trains (or continues from the newest checkpoint in {@code checkpoints}) and leaves the averaged weights in the VAE. */
    void run(Path checkpoints, MetricsLog metrics) throws IOException {
        StageState state = new StageState(NAME, Map.of(NAME, vae), 0.0);
        if (state.restoreLatest(checkpoints)) listener.message("vae: resuming at step " + state.step());
        LrSchedule lr = new LrSchedule("cosine", cfg.vaeLr(), Math.min(cfg.warmupSteps(), cfg.vaeSteps() / 10), cfg.vaeSteps());
        int cropUntil = cfg.vaeSteps() * 7 / 8;
        long started = System.nanoTime();
        int firstStep = state.step();
        while (state.step() < cfg.vaeSteps()) {
            int step = state.step();
            double loss, rec;
            try (PointerScope scope = new PointerScope()) {
                Rng rng = Rng.seeded(Seeds.of(cfg.seed(), 1, step));
                Tensor x = batch(step, step < cropUntil ? cfg.vaeCrop() : 0);
                EncoderOutput post = vae.encode(x);
                Tensor out = vae.decode(post.sample(rng));
                Tensor diff = out.sub(x);
                Tensor recon = diff.abs().mean().add(diff.pow(new Scalar(2)).mean());
                // KL(q || N(0, 1)) per latent element
                Tensor kl = post.mean().pow(new Scalar(2)).add(post.logvar().exp()).sub(new Scalar(1.0))
                        .sub(post.logvar()).mul(new Scalar(0.5)).mean();
                Tensor total = recon.add(kl.mul(new Scalar(KL_WEIGHT)));
                total.backward();
                double norm = GradClip.clip(state.params().values(), cfg.maxGradNorm());
                loss = total.item_double();
                rec = recon.item_double();
                if (Double.isFinite(loss) && Double.isFinite(norm)) state.optimizer().step(lr.at(step));
                state.optimizer().zeroGrad();
            }
            state.finishStep(cfg.emaDecay());
            ObjectNode r = metrics.record().put("stage", NAME).put("step", state.step()).put("loss", loss)
                    .put("reconstruction", rec).put("lr", lr.at(step));
            metrics.write(r);
            listener.step(NAME, state.step(), cfg.vaeSteps(), loss,
                    (System.nanoTime() - started) / 1e9 / (state.step() - firstStep));
            if (state.step() % cfg.checkpointEvery() == 0 || state.step() == cfg.vaeSteps()) state.save(checkpoints);
        }
        try (NoGradGuard g = new NoGradGuard()) {
            Map<String, Tensor> avg = state.averaged(NAME);
            vae.namedParameters().forEach((k, t) -> t.copy_(avg.get(k)));
        }
        vae.requiresGrad(false);
    }

    /** The latent standard deviation over {@code n} held-out pictures (posterior means), for {@code scaling_factor}. */
    double latentStd(int n) {
        double sum = 0, sumSq = 0;
        long count = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (int start = 0; start < n; start += 32) {
                try (PointerScope scope = new PointerScope()) {
                    List<BufferedImage> imgs = new ArrayList<>();
                    // indices far beyond any the training drew from
                    for (int i = start; i < Math.min(n, start + 32); i++) imgs.add(world.pretrainingSample(Long.MAX_VALUE / 2 + i).image());
                    Tensor z = vae.encode(WorldTensors.of(imgs)).mean().to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
                    sum += z.sum().item_double();
                    sumSq += z.pow(new Scalar(2)).sum().item_double();
                    count += z.numel();
                }
            }
        }
        double mean = sum / count;
        return Math.sqrt(sumSq / count - mean * mean);
    }

    private Tensor batch(int step, int crop) {
        List<BufferedImage> imgs = new ArrayList<>(cfg.vaeBatch());
        int[] lefts = new int[cfg.vaeBatch()];
        int[] tops = new int[cfg.vaeBatch()];
        SplittableRandom r = new SplittableRandom(Seeds.of(cfg.seed(), 2, step));
        for (int i = 0; i < cfg.vaeBatch(); i++) {
            BufferedImage img = world.pretrainingSample((long) step * cfg.vaeBatch() + i).image();
            imgs.add(img);
            if (crop > 0) {
                // crops on the 8-pixel grid of the latents, so that crop and whole picture align
                lefts[i] = 8 * r.nextInt((img.getWidth() - crop) / 8 + 1);
                tops[i] = 8 * r.nextInt((img.getHeight() - crop) / 8 + 1);
            }
        }
        return WorldTensors.of(imgs, lefts, tops, crop);
    }
}
