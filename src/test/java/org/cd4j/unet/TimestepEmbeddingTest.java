package org.cd4j.unet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TimestepEmbeddingTest {
    /** Sin-first order, freq_shift 1 and an odd width (zero-padded), worked out by hand. */
    @Test
    void sinusoidalWithoutFlipWithShiftAndOddWidth() {
        // dim 5: half 2, frequencies exp(-ln(1e4) * i / (2 - 1)) = 1, 1e-4
        float[] e = Tensors.toFloats(TimestepEmbedding.sinusoidal(Tensors.fromFloats(new float[]{3f}, 1), 5, false, 1));
        double[] expected = {Math.sin(3), Math.sin(3e-4), Math.cos(3), Math.cos(3e-4), 0};
        for (int i = 0; i < 5; i++) assertThat((double) e[i]).as("element %d", i).isCloseTo(expected[i], within(1e-6));
        // flip_sin_to_cos puts the cosines first
        float[] f = Tensors.toFloats(TimestepEmbedding.sinusoidal(Tensors.fromLongs(new long[]{3}, 1), 4, true, 1));
        assertThat((double) f[0]).isCloseTo(Math.cos(3), within(1e-6));
        assertThat((double) f[2]).isCloseTo(Math.sin(3), within(1e-6));
    }

    /** center_input_sample feeds {@code 2x - 1} to the network. */
    @Test
    void centerInputSample() throws IOException {
        ObjectNode n = UNetTestSupport.tinyConfig();
        UNet2DConditionModel plain = new UNet2DConditionModel(UNetTestSupport.parse(n), DType.F32);
        UNetTestSupport.randomize(plain, 21, 0.05);
        n.put("center_input_sample", true);
        UNet2DConditionModel centred = new UNet2DConditionModel(UNetTestSupport.parse(n), DType.F32);
        centred.loadStateDict(plain.namedParameters(), "copy");
        Rng rng = Rng.seeded(22);
        Tensor x = rng.rand(1, 4, 8, 8);
        Tensor ctx = rng.randn(1, 3, 32);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor a = centred.forward(x, Tensors.fromLongs(new long[]{7}), ctx);
            Tensor b = plain.forward(F.add(F.mul(x, 2.0), -1.0), Tensors.fromLongs(new long[]{7}), ctx);
            assertThat(Tensors.maxAbsDiff(a, b)).isZero();
        }
    }
}
