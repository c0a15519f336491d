package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RngTest {
    @Test
    void randnMatchesPyTorchForTheSameSeed() {
        // Python: torch.manual_seed(42); torch.randn(5)
        float[] expected = {0.3367f, 0.1288f, 0.2345f, 0.2303f, -1.1229f};
        float[] got = Tensors.toFloats(Rng.seeded(42).randn(5));
        for (int i = 0; i < 5; i++) assertThat(got[i]).isCloseTo(expected[i], within(1e-4f));
    }

    @Test
    void stateRoundTripReproducesTheStream() {
        Rng r = Rng.seeded(7);
        r.randn(3);
        Tensor state = r.state().clone();
        float[] a = Tensors.toFloats(r.randn(4));
        r.setState(state);
        float[] b = Tensors.toFloats(r.randn(4));
        assertThat(b).containsExactly(a);
    }
}
