package org.cd4j.demo;

import org.bytedeco.javacpp.PointerScope;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.nn.DType;
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

    /** One picture per seed {@code firstSeed, firstSeed+1, …} for {@code prompt}. */
    public List<BufferedImage> generate(StableDiffusion sd, String prompt, long firstSeed, int count) {
        List<BufferedImage> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            try (PointerScope scope = new PointerScope()) {
                GenerationRequest r = new GenerationRequest(prompt, null, firstSeed + i, steps, guidance, scheduler, 0.0,
                        0, 0, 1, false, null);
                out.addAll(Images.toImages(sd.generate(r, (d, t, x) -> { })));
            }
        }
        return out;
    }
}
