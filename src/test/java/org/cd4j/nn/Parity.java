package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The comparisons every parity test makes against the reference outputs, and reading them. */
public final class Parity {
    private Parity() {}

    /** Every tensor of a safetensors file, copied out of the mapping (so the file can close). */
    public static Map<String, Tensor> readAll(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String k : f.keys()) out.put(k, f.tensor(k).clone());
        }
        return out;
    }

    /** Asserts |a − e| ≤ atol + rtol·|e| element-wise; prints the largest difference. */
    public static void assertElementwise(String name, Tensor actual, Tensor expected, double atol, double rtol) {
        assertThat(Tensors.shape(actual)).as(name + " shape").containsExactly(Tensors.shape(expected));
        float[] a = Tensors.toFloats(actual);
        float[] e = Tensors.toFloats(expected);
        double maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - e[i]);
            if (!(d <= atol + rtol * Math.abs(e[i])) && worst < 0) worst = i;
            maxDiff = Math.max(maxDiff, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        System.out.printf("[parity] %s: max |diff| = %.3g (max |ref| = %.3g)%n", name, maxDiff, Tensors.maxAbs(expected));
        assertThat(worst).as(name + ": first element out of tolerance (%s)", worst < 0 ? "" : a[worst] + " vs " + e[worst]).isEqualTo(-1);
    }

    /** Asserts max|a − e| ≤ rel · max|e| (the issues' "relative to the reference's largest magnitude"). */
    public static void assertRelative(String name, Tensor actual, Tensor expected, double rel) {
        double scale = Math.max(Tensors.maxAbs(expected), 1e-12);
        double diff = Tensors.maxAbsDiff(actual, expected);
        assertThat(diff / scale).as(name + ": max |diff| " + diff + " vs max |ref| " + scale).isLessThanOrEqualTo(rel);
    }
}
