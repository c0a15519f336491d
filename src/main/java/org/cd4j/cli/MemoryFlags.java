package org.cd4j.cli;

import org.cd4j.nn.AttentionKernel;
import org.cd4j.vae.VaeTiling;

/** The memory flags {@code --attention} (generate, train, bench) and {@code --vae-tiling} (generate, bench): help and parsing. */
final class MemoryFlags {
    static final String ATTENTION_HELP = "auto, fused, sliced or full: how attention is computed (default: auto = libtorch's fused"
            + " kernel, which never forms the token-by-token matrix on the CPU; sliced = query chunks of at most 512 MiB; full ="
            + " the whole matrix). Same results; see docs/BENCHMARKS.md.";
    static final String TILING_HELP = "auto, on or off: decode the image tile by tile as diffusers' enable_tiling() (default: auto ="
            + " only above 2048x2048 pixels; tiles change the pixels slightly near their seams).";

    private MemoryFlags() {}

    static AttentionKernel attention(String value) {
        try {
            return AttentionKernel.of(AttentionKernel.Mode.parse(value));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--attention " + e.getMessage());
        }
    }

    static VaeTiling.Mode tiling(String value) {
        try {
            return VaeTiling.Mode.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--vae-tiling " + e.getMessage());
        }
    }
}
