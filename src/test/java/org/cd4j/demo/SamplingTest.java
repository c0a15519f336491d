package org.cd4j.demo;

import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.Images;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Batched sampling gives each seed the picture a single-picture run with that seed gives. */
class SamplingTest {
    @Test
    void eachSeedOfABatchIsItsSinglePictureRun() throws Exception {
        StableDiffusion sd = Sampling.load(Fixtures.tinySd1(), List.of());
        Sampling s = new Sampling(4, 5.0, "dpm++2m");
        int count = Sampling.BATCH + 2; // two batches, the second partial
        List<BufferedImage> batched = s.generate(sd, "a photo of a cup", 7, count);
        assertThat(batched).hasSize(count);
        for (int i : new int[]{0, 5, Sampling.BATCH + 1}) {
            GenerationRequest one = new GenerationRequest("a photo of a cup", null, 7 + i, 4, 5.0, "dpm++2m", 0.0, 0, 0, 1, false, null);
            BufferedImage single = Images.toImages(sd.generate(one, (d, t, x) -> { })).get(0);
            assertThat(maxChannelDifference(batched.get(i), single)).as("seed %d", 7 + i).isLessThanOrEqualTo(1);
        }
        // and the seeds differ, so the comparison above is not trivially true
        assertThat(maxChannelDifference(batched.get(0), batched.get(1))).isGreaterThan(10);
    }

    private static int maxChannelDifference(BufferedImage a, BufferedImage b) {
        int max = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y), q = b.getRGB(x, y);
                for (int sh = 0; sh <= 16; sh += 8) max = Math.max(max, Math.abs((p >> sh & 255) - (q >> sh & 255)));
            }
        }
        return max;
    }
}
