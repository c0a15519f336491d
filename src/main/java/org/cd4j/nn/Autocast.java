package org.cd4j.nn;

import org.bytedeco.pytorch.global.torch;

/**
 * Mixed precision on the CPU, as {@code torch.autocast("cpu", dtype=torch.bfloat16)}: while open,
 * matrix products and convolutions run in bf16 while norms, softmax and losses stay in float32,
 * and parameters (and so the trained weights and optimiser) stay float32. Thread-local, as
 * libtorch's autocast state is; closing restores the previous state and drops the cast cache.
 */
public final class Autocast implements AutoCloseable {
    private final boolean wasEnabled;
    private final torch.ScalarType wasDtype;
    private final boolean active;

    private Autocast(DType dtype) {
        Torch.init();
        this.active = dtype != null && dtype != DType.F32;
        this.wasEnabled = torch.is_autocast_enabled(torch.DeviceType.CPU);
        this.wasDtype = torch.get_autocast_dtype(torch.DeviceType.CPU);
        if (active) {
            torch.set_autocast_dtype(torch.DeviceType.CPU, dtype.scalarType);
            torch.set_autocast_enabled(torch.DeviceType.CPU, true);
        }
    }

    /** Enables autocast to {@code dtype} (bf16 or fp16); F32 or null opens a no-op scope. */
    public static Autocast to(DType dtype) {
        if (dtype != null && dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("autocast supports bf16 and fp16, not " + dtype);
        }
        return new Autocast(dtype);
    }

    @Override
    public void close() {
        if (!active) return;
        torch.set_autocast_enabled(torch.DeviceType.CPU, wasEnabled);
        torch.set_autocast_dtype(torch.DeviceType.CPU, wasDtype);
        if (!wasEnabled) torch.clear_cache();
    }
}
