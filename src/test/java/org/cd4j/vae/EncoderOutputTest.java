package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The posterior's halves outlive everything but the posterior itself. */
class EncoderOutputTest {
    /**
     * Outside any pointer scope, the mean and log-variance must own their tensors: handles borrowed
     * from a temporary vector (a referenceCount of -1) dangle once the collector frees the vector.
     */
    @Test
    void meanAndLogvarOwnTheirTensors() throws InterruptedException {
        Tensor moments = Rng.seeded(3).randn(2, 8, 3, 5);
        float[] all = Tensors.toFloats(moments);
        EncoderOutput out = EncoderOutput.fromMoments(moments);
        assertTrue(out.mean().referenceCount() >= 0, "mean is a borrowed handle");
        assertTrue(out.logvar().referenceCount() >= 0, "logvar is a borrowed handle");
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20); // lets the deallocator thread free whatever the collection found
        }
        float[] mean = Tensors.toFloats(out.mean());
        float[] expected = new float[mean.length];
        int plane = 3 * 5;
        for (int b = 0, k = 0; b < 2; b++) {
            for (int c = 0; c < 4; c++) {
                for (int p = 0; p < plane; p++) expected[k++] = all[(b * 8 + c) * plane + p];
            }
        }
        assertArrayEquals(expected, mean, 0f);
    }
}
