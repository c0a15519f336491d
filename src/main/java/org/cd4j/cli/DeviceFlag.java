package org.cd4j.cli;

import org.cd4j.nn.Device;

/** The {@code --device cpu|cuda[:N]} flag of generate, train and bench: parsed and checked to be usable here. */
final class DeviceFlag {
    /** The flag's description, shared by the commands. */
    static final String HELP = "cpu, cuda or cuda:N (default: cpu; cuda needs the -Pcuda build and an NVIDIA GPU, see docs/GPU.md).";

    private DeviceFlag() {}

    /** The device {@code value} names, available in this process. */
    static Device parse(String value) {
        try {
            return Device.parse(value).requireAvailable();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage().startsWith("--device") ? e.getMessage() : "--device " + e.getMessage());
        }
    }
}
