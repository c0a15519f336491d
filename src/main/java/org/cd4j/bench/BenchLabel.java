package org.cd4j.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a benchmark line measured, the fields every line starts with: {@code what} (unet_forward,
 * train_step, vae_decode …), the architecture preset, latent side, batch, dtype, device and
 * attention mode.
 *
 * @param arch      the architecture preset, or null where none applies
 * @param latent    the latent side, or 0 where none applies
 * @param attention the attention mode ({@code auto}, {@code fused} …), or null where none applies
 */
public record BenchLabel(String what, String arch, int latent, int batch, String dtype, String device, String attention) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** This label measuring something else (e.g. {@code unet_forward_op} for the kernels of {@code unet_forward}). */
    BenchLabel withWhat(String w) {
        return new BenchLabel(w, arch, latent, batch, dtype, device, attention);
    }

    /** A JSON object holding the label's fields, for a line to add its figures to. */
    ObjectNode start() {
        ObjectNode o = JSON.createObjectNode();
        o.put("what", what);
        if (arch != null) o.put("arch", arch);
        if (latent > 0) o.put("latent", latent);
        o.put("batch", batch);
        o.put("dtype", dtype);
        o.put("device", device);
        if (attention != null) o.put("attention", attention);
        return o;
    }

    /** The line: {@code o} with the machine it was measured on appended. */
    static String finish(ObjectNode o) {
        o.set("machine", Machine.describe());
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
