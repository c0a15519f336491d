package org.cd4j.vae;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Parity;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.F;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared helpers of the VAE tests: tolerances, fixture reading, random weights, a tiny safetensors writer. */
final class VaeTestSupport {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final Path VAE = FIXTURES.resolve("tiny-sd1/vae");
    static final double RTOL = 1e-4;
    static final double ATOL = 1e-4;

    private VaeTestSupport() {}

    static Map<String, Tensor> readAll(Path file) throws IOException {
        return Parity.readAll(file);
    }

    static void assertClose(String name, Tensor actual, Tensor expected) {
        Parity.assertElementwise(name, actual, expected, ATOL, RTOL);
    }

    /** Seeded random weights: norm gammas near 1, everything else small, so activations stay moderate. */
    static void randomize(Module m, long seed) {
        Rng rng = Rng.seeded(seed);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                Tensor r = F.mul(rng.randn(Tensors.shape(p)), 0.1);
                boolean gamma = e.getKey().matches(".*norm(\\d|_out)?\\.weight");
                p.copy_(gamma ? F.add(r, 1.0) : r);
            }
        }
    }

    static void writeSafetensors(Path file, Map<String, Tensor> tensors) throws IOException {
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
    }
}
