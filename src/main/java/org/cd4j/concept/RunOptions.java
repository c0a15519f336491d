package org.cd4j.concept;

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
 */
public record RunOptions(boolean reuse, Device device) {
    /** Reuse on, on the CPU. */
    public static final RunOptions DEFAULT = new RunOptions(true, Device.CPU);

    /** Checks the device is given. */
    public RunOptions {
        Objects.requireNonNull(device, "device");
    }
}
