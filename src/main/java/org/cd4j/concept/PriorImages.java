package org.cd4j.concept;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.data.ClassImages;
import org.cd4j.concept.data.Concept;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.Images;
import org.cd4j.pipeline.StableDiffusion;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The generated prior (reference §1.5): when a concept's class folder holds fewer than
 * {@code --num-class-images} pictures, the missing ones are drawn by the base model from the
 * class prompt and saved into the folder ({@code <index>-<sha1>.jpg}), so the next run reuses
 * them. Unlike the reference (which draws from the global RNG), picture {@code i} uses seed
 * {@code seed + i}: the set is reproducible and an interrupted generation resumes where it stopped.
 */
public final class PriorImages {
    private PriorImages() {}

    /** Fills every concept's class folder up to {@code cfg.numClassImages()}; returns how many were made. */
    public static int ensure(StableDiffusion sd, List<Concept> concepts, TrainConfig cfg, TrainListener listener) throws IOException {
        int made = 0;
        for (Concept c : concepts) {
            Path dir = c.classDataDir();
            if (dir == null) continue;
            if (Files.isRegularFile(dir.resolve(ClassImages.IMAGES_TXT))) {
                // A retrieved set is read through its lists: generated pictures beside them would
                // never be read, so a short set is used as it is.
                listener.log(dir + " holds a retrieved set (" + ClassImages.IMAGES_TXT + "); it is used as it is, not topped up");
                continue;
            }
            Files.createDirectories(dir);
            int have = ClassImages.countImages(dir);
            int need = cfg.numClassImages() - have;
            if (need <= 0) continue;
            listener.log("generating " + need + " class image(s) for \"" + c.classPrompt() + "\" into " + dir
                    + " (" + have + " present)");
            for (int i = have; i < cfg.numClassImages(); i += cfg.sampleBatchSize()) {
                int n = Math.min(cfg.sampleBatchSize(), cfg.numClassImages() - i);
                // one request per picture keeps picture i a function of (seed, i) alone
                for (int j = 0; j < n; j++) {
                    GenerationRequest r = new GenerationRequest(c.classPrompt(), null, cfg.seed() + i + j,
                            cfg.priorGenerationSteps(), 7.5, null, 0.0, cfg.resolution(), cfg.resolution(), 1, false, null);
                    Tensor img = sd.generate(r, (d, t, s) -> { });
                    BufferedImage pic = Images.toImages(img).get(0);
                    ClassImages.saveGenerated(dir, i + j, pic);
                    made++;
                }
                listener.log("class images: " + Math.min(i + n, cfg.numClassImages()) + "/" + cfg.numClassImages());
            }
        }
        return made;
    }
}
