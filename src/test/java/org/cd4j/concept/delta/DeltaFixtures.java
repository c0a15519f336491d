package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Paths of the Custom Diffusion fixtures and bit-exact tensor helpers for the delta tests. */
final class DeltaFixtures {
    private DeltaFixtures() {}

    static Path cd(String rel) {
        return Fixtures.path("custom_diffusion/" + rel);
    }

    static Path diffusersTrain() {
        return cd("diffusers_train");
    }

    static Path adobeDelta() {
        return cd("adobe_train/delta.bin");
    }

    static Path compressedDelta() {
        return cd("adobe_compress/compressed_delta.bin");
    }

    static Path tinySd1() {
        return Fixtures.tinySd1();
    }

    static Path tinySd1_768() {
        return Fixtures.path("tiny-sd1-768");
    }

    /** Same dtype, shape and bytes. */
    static boolean bitEqual(Tensor a, Tensor b) {
        return Tensors.dtype(a) == Tensors.dtype(b) && Arrays.equals(Tensors.shape(a), Tensors.shape(b))
                && Arrays.equals(Tensors.bytes(a), Tensors.bytes(b));
    }

    /** Owned copies of every tensor. */
    static Map<String, Tensor> snapshot(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.detach().clone()));
        return out;
    }

    /** All tensors of a safetensors twin, copied out of the mapping. */
    static Map<String, Tensor> twin(Path safetensors) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
            return snapshot(f.tensors());
        }
    }
}
