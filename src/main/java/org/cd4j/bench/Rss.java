package org.cd4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from {@code /proc/self/status} (Linux); -1 where unavailable. */
public final class Rss {
    private Rss() {}

    /** Peak resident set size (VmHWM) in bytes. */
    public static long peakBytes() {
        return field("VmHWM:");
    }

    /**
     * Resets the peak resident size to the current one (Linux: {@code 5} written to
     * {@code /proc/self/clear_refs}), so {@link #peakBytes} then tells the peak of what follows,
     * not of the model loading before it.
     *
     * @return whether the reset worked (false where the kernel does not offer it)
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Current resident set size (VmRSS) in bytes. */
    public static long currentBytes() {
        return field("VmRSS:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024L; // reported in kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
