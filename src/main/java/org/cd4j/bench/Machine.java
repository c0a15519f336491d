package org.cd4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.javacpp.Loader;
import org.cd4j.nn.SplitGemm;
import org.cd4j.nn.Torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine a measurement was taken on, for every benchmark line: processor, cores, libtorch
 * threads, whether float32 products are split over cores, operating system, Java and libtorch
 * versions, and the load average when the measurement ended (a busy machine makes every figure
 * slower; such figures are not comparable).
 */
public final class Machine {
    private Machine() {}

    /** A JSON object describing this machine now. */
    public static ObjectNode describe() {
        ObjectNode m = new ObjectMapper().createObjectNode();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("threads", Torch.threads());
        m.put("split_gemm", SplitGemm.enabled()); // float32 products on every core (needs GOMP_SPINCOUNT, see SplitGemm)
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.version"));
        m.put("libtorch", libtorchVersion());
        double load = loadAverage();
        if (load >= 0) m.put("load_average", load);
        return m;
    }

    /** The JavaCPP pytorch preset's version ({@code 2.10.0-1.5.13}: libtorch 2.10), or "unknown". */
    static String libtorchVersion() {
        try {
            String v = Loader.getVersion("org.bytedeco", "pytorch");
            return v == null ? "unknown" : v;
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The processor's model name from {@code /proc/cpuinfo}, or "unknown". */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "unknown";
    }

    /** The one-minute load average from {@code /proc/loadavg}, or -1. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
