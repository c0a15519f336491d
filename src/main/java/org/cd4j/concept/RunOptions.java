package org.cd4j.concept;

import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.Device;

import java.util.Objects;

/**
 * How a training run executes, as opposed to what it computes ({@link TrainConfig}): these
 * choices are not part of {@code config.json} nor of the settings a resumed run must repeat.
 *
 * @param reuse reuse what does not change between steps: the states of captions without a
 *     modifier token and the VAE moments of pictures with fixed crops (in memory, and for class
 *     pictures on disk beside them, see {@link LatentCache}); the results are the same bit for
 *     bit, only faster
 * @param device where the models compute; the seeded generator stays on the CPU (its draws
 *     move), so only the device's arithmetic can change the results
 * @param attention how the UNet's and the VAE's attention is computed (memory, not results:
 *     every mode computes the same up to summation order)
 */
public record RunOptions(boolean reuse, Device device, AttentionKernel attention) {
    /** Reuse on, on the CPU, attention chosen automatically. */
    public static final RunOptions DEFAULT = new RunOptions(true, Device.CPU);

    /** Checks every option is given. */
    public RunOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(attention, "attention");
    }

    /** With the default attention ({@link AttentionKernel#DEFAULT}). */
    public RunOptions(boolean reuse, Device device) {
        this(reuse, device, AttentionKernel.DEFAULT);
    }
}
