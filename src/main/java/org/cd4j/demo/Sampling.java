package org.cd4j.demo;

import org.bytedeco.javacpp.PointerScope;
import org.cd4j.concept.delta.DeltaApplier;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.Images;
import org.cd4j.pipeline.StableDiffusion;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the demo and the quality study sample: a fixed sampler, step count and guidance, one seed
 * per picture, so every method is judged on pictures drawn from the same starting noise.
 *
 * @param steps     sampler steps
 * @param guidance  classifier-free guidance scale
 * @param scheduler sampler name
 */
public record Sampling(int steps, double guidance, String scheduler) {
    /** DPM-Solver++ 2M, 25 steps, guidance 5. */
    public static Sampling defaults() {
        return new Sampling(25, 5.0, "dpm++2m");
    }

    /** The base model with {@code deltas} applied (none: the base model itself). */
    public static StableDiffusion load(Path model, List<Path> deltas) throws IOException {
        StableDiffusion sd = StableDiffusion.load(model, DType.F32);
        if (!deltas.isEmpty()) DeltaApplier.applyFiles(sd, deltas, false, w -> { });
        return sd;
    }

    /** Pictures sampled together: enough to keep the small model's operations busy, bounded in memory. */
    static final int BATCH = 8;

    /**
     * One picture per seed {@code firstSeed, firstSeed+1, …} for {@code prompt}. Each seed draws
     * its own starting noise, exactly as a single-picture run with that seed does; the pictures
     * are then sampled {@value #BATCH} at a time, which for the mini model is several times faster
     * than one by one. With a deterministic sampler (the default) each picture is that seed's
     * single-picture result up to the rounding of batched kernels.
     */
    public List<BufferedImage> generate(StableDiffusion sd, String prompt, long firstSeed, int count) {
        List<BufferedImage> out = new ArrayList<>(count);
        int side = sd.defaultSize() / sd.vaeScaleFactor();
        long[] one = {1, sd.unet().config().inChannels(), side, side};
        for (int from = 0; from < count; from += BATCH) {
            int n = Math.min(BATCH, count - from);
            try (PointerScope scope = new PointerScope()) {
                List<Tensor> noise = new ArrayList<>(n);
                for (int i = 0; i < n; i++) noise.add(Rng.seeded(firstSeed + from + i).randn(one));
                GenerationRequest r = new GenerationRequest(prompt, null, firstSeed + from, steps, guidance, scheduler, 0.0,
                        0, 0, n, false, F.cat(noise, 0)); // (n, 4, h, w)
                out.addAll(Images.toImages(sd.generate(r, (d, t, x) -> { })));
            }
        }
        return out;
    }
}
