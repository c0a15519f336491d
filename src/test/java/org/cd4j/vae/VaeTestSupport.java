package org.cd4j.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared helpers of the VAE tests: tolerances, fixture reading, random weights, a tiny safetensors writer. */
final class VaeTestSupport {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final Path VAE = FIXTURES.resolve("tiny-sd1/vae");
    static final double RTOL = 1e-4;
    static final double ATOL = 1e-4;

    private VaeTestSupport() {}

    /** Every tensor of a safetensors file, copied out of the mapping. */
    static Map<String, Tensor> readAll(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String k : f.keys()) out.put(k, f.tensor(k).clone());
        }
        return out;
    }

    /** Asserts |a - e| <= ATOL + RTOL |e| element-wise and prints the largest difference. */
    static void assertClose(String name, Tensor actual, Tensor expected) {
        assertThat(Tensors.shape(actual)).as(name + " shape").containsExactly(Tensors.shape(expected));
        float[] a = Tensors.toFloats(actual);
        float[] e = Tensors.toFloats(expected);
        double maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - e[i]);
            if (!(d <= ATOL + RTOL * Math.abs(e[i])) && worst < 0) worst = i;
            maxDiff = Math.max(maxDiff, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        System.out.printf("[parity] %s: max |diff| = %.3g (max |ref| = %.3g)%n", name, maxDiff, Tensors.maxAbs(expected));
        assertThat(worst).as(name + ": first element out of tolerance (%s)", worst < 0 ? "" : a[worst] + " vs " + e[worst]).isEqualTo(-1);
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

    static String dtypeName(Tensor t) {
        for (DType d : DType.values()) {
            if (d.scalarType.value == t.scalar_type().value) return d.safetensorsName;
        }
        throw new IllegalArgumentException("unsupported dtype " + t.scalar_type());
    }

    /** A minimal safetensors writer (header sorted by key, as the Python writer does). */
    static void writeSafetensors(Path file, Map<String, Tensor> tensors) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode header = om.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (String k : new TreeSet<>(tensors.keySet())) {
            Tensor t = tensors.get(k);
            byte[] b = Tensors.bytes(t);
            ObjectNode e = header.putObject(k);
            e.put("dtype", dtypeName(t));
            var shape = e.putArray("shape");
            for (long d : Tensors.shape(t)) shape.add(d);
            e.putArray("data_offsets").add(data.size()).add(data.size() + b.length);
            data.write(b);
        }
        byte[] h = om.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(h);
        for (int i = h.length; i < padded; i++) out.write(' ');
        data.writeTo(out);
        Files.write(file, out.toByteArray());
    }
}
