package org.cd4j.bench;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.StableDiffusion;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Resident memory across repeated generations in one process (a server's life): the model is
 * loaded once, then {@code count} images are generated one after the other and the resident
 * set size is read after each. Per-step native memory is freed at step ends, so after the first
 * image the resident size should stay flat.
 */
public final class GenerateMemoryBench {
    private GenerateMemoryBench() {}

    /** Resident bytes after each generation. */
    public static long[] run(Path model, int count, int size, int steps) throws IOException {
        StableDiffusion sd = StableDiffusion.load(model, DType.F32);
        long[] rss = new long[count];
        for (int i = 0; i < count; i++) {
            GenerationRequest r = new GenerationRequest("a photo of a cat", null, i, steps, 7.5, null, 0.0, size, size, 1, false, null);
            Tensor img = sd.generate(r, (d, t, s) -> { });
            img.close();
            System.gc();
            rss[i] = Pointer.physicalBytes();
        }
        return rss;
    }
}
