package org.cd4j.unet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Fixture paths and helpers shared by the UNet tests. */
final class UNetTestSupport {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final Path TINY_UNET = FIXTURES.resolve("tiny-sd1/unet");
    static final Path TINY_768_UNET = FIXTURES.resolve("tiny-sd1-768/unet");
    static final Path REFS = FIXTURES.resolve("refs/tiny-sd1/unet.safetensors");
    /** The brief's tolerance: max |diff| <= 1e-4 * max |ref|. */
    static final double REL_TOL = 1e-4;
    static final ObjectMapper JSON = new ObjectMapper();

    private UNetTestSupport() {}

    /** tiny-sd1's unet/config.json as an editable tree. */
    static ObjectNode tinyConfig() throws IOException {
        return (ObjectNode) JSON.readTree(Files.readString(TINY_UNET.resolve("config.json")));
    }

    static UNetConfig parse(ObjectNode node) {
        return UNetConfig.fromJson(node, "unet/config.json");
    }

    /** Fills every parameter with seeded N(0, std²) values so that no layer is a no-op. */
    static void randomize(Module m, long seed, double std) {
        Rng rng = Rng.seeded(seed);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                Tensor r = rng.randn(Tensors.shape(p)).mul(new org.bytedeco.pytorch.Scalar(std));
                if (e.getKey().endsWith("norm1.weight") || e.getKey().endsWith("norm2.weight")
                        || e.getKey().endsWith("norm3.weight") || e.getKey().endsWith("norm.weight")
                        || e.getKey().endsWith("norm_out.weight")) {
                    r = r.add(new org.bytedeco.pytorch.Scalar(1.0)); // norm gains near 1
                }
                p.copy_(r);
            }
        }
    }

    /** Asserts max |actual - expected| <= REL_TOL * max |expected| and returns the max diff. */
    static double assertClose(String name, Tensor actual, Tensor expected) {
        assertThat(Tensors.shape(actual)).as(name + " shape").containsExactly(Tensors.shape(expected));
        double diff = Tensors.maxAbsDiff(actual, expected);
        double ref = Tensors.maxAbs(expected);
        System.out.printf("[unet parity] %s: max |diff| = %.3g, max |ref| = %.3g, ratio = %.3g%n", name, diff, ref, diff / ref);
        assertThat(diff).as(name + " max |diff| (max |ref| = " + ref + ")").isLessThanOrEqualTo(REL_TOL * ref);
        return diff;
    }

    static boolean allFinite(Tensor t) {
        for (float f : Tensors.toFloats(t)) if (!Float.isFinite(f)) return false;
        return true;
    }
}
