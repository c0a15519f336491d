package org.cd4j.nn;

import org.bytedeco.pytorch.global.torch;

/**
 * Mixed precision, as {@code torch.autocast("cpu", dtype=torch.bfloat16)} (or on CUDA): while open,
 * matrix products and convolutions run in bf16 while norms, softmax and losses stay in float32,
 * and parameters (and so the trained weights and optimiser) stay float32. Thread-local, as
 * libtorch's autocast state is; closing restores the previous state and drops the cast cache.
 */
public final class Autocast implements AutoCloseable {
    private final torch.DeviceType type;
    private final boolean wasEnabled;
    private final torch.ScalarType wasDtype;
    private final boolean active;

    private Autocast(Device device, DType dtype) {
        Torch.init();
        this.type = device.deviceType();
        this.active = dtype != null && dtype != DType.F32;
        this.wasEnabled = torch.is_autocast_enabled(type);
        this.wasDtype = torch.get_autocast_dtype(type);
        if (active) {
            torch.set_autocast_dtype(type, dtype.scalarType);
            torch.set_autocast_enabled(type, true);
        }
    }

    /** Enables CPU autocast to {@code dtype} (bf16 or fp16); F32 or null opens a no-op scope. */
    public static Autocast to(DType dtype) {
        return to(Device.CPU, dtype);
    }

    /** Enables autocast on {@code device} ({@code torch.autocast(device.type, dtype)}); F32 or null: a no-op scope. */
    public static Autocast to(Device device, DType dtype) {
        if (dtype != null && dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("autocast supports bf16 and fp16, not " + dtype);
        }
        return new Autocast(device, dtype);
    }

    @Override
    public void close() {
        if (!active) return;
        torch.set_autocast_enabled(type, wasEnabled);
        torch.set_autocast_dtype(type, wasDtype);
        if (!wasEnabled) torch.clear_cache();
    }

    /**
     * libtorch's autocast switches for the CPU and CUDA at one moment, to be restored later, as
     * gradient checkpointing restores them for a segment's recomputation.
     */
    public record State(boolean cpu, torch.ScalarType cpuDtype, boolean cuda, torch.ScalarType cudaDtype) {
        /** The switches as they are now (on this thread: autocast state is thread-local). */
        public static State current() {
            return new State(torch.is_autocast_enabled(torch.DeviceType.CPU), torch.get_autocast_dtype(torch.DeviceType.CPU),
                    torch.is_autocast_enabled(torch.DeviceType.CUDA), torch.get_autocast_dtype(torch.DeviceType.CUDA));
        }

        /** Switches to this state; returns the one it replaced. */
        public State apply() {
            State before = current();
            torch.set_autocast_dtype(torch.DeviceType.CPU, cpuDtype);
            torch.set_autocast_enabled(torch.DeviceType.CPU, cpu);
            torch.set_autocast_dtype(torch.DeviceType.CUDA, cudaDtype);
            torch.set_autocast_enabled(torch.DeviceType.CUDA, cuda);
            return before;
        }
    }

    /** Runs {@code body} with CPU autocast off, for an op that must run in its inputs' own dtype; restores it after. */
    public static <T> T suspendedOnCpu(java.util.function.Supplier<T> body) {
        boolean on = torch.is_autocast_enabled(torch.DeviceType.CPU);
        if (on) torch.set_autocast_enabled(torch.DeviceType.CPU, false);
        try {
            return body.get();
        } finally {
            if (on) torch.set_autocast_enabled(torch.DeviceType.CPU, true);
        }
    }
}
