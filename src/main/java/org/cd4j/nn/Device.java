package org.cd4j.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where tensors live and compute: the CPU, or a CUDA GPU ({@code cuda}, {@code cuda:1}). Models
 * move there with {@link Module#to}; inputs made on the CPU (token ids, pictures, and every
 * random draw — the seeded generator stays on the CPU, so a seed gives the same numbers on any
 * device, as diffusers does with a CPU generator) are moved with {@link #put}.
 *
 * @param type "cpu" or "cuda"
 * @param index the CUDA device index, or -1 for the current one / the CPU
 */
public record Device(String type, int index) {
    /** The CPU. */
    public static final Device CPU = new Device("cpu", -1);

    private static final Pattern SPEC = Pattern.compile("(cpu|cuda)(?::(\\d{1,3}))?");

    /** Checks the fields. */
    public Device {
        if (!type.equals("cpu") && !type.equals("cuda")) throw new IllegalArgumentException("unknown device type " + type);
        if (type.equals("cpu") && index != -1) throw new IllegalArgumentException("the CPU has no device index");
    }

    /**
     * Parses {@code cpu}, {@code cuda} or {@code cuda:N}.
     *
     * @throws IllegalArgumentException naming what is expected
     */
    public static Device parse(String spec) {
        Matcher m = SPEC.matcher(spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT));
        if (!m.matches() || m.group(1).equals("cpu") && m.group(2) != null) {
            throw new IllegalArgumentException("unknown device '" + spec + "' (expected cpu, cuda or cuda:N)");
        }
        return new Device(m.group(1), m.group(2) == null ? -1 : Integer.parseInt(m.group(2)));
    }

    /** True for the CPU. */
    public boolean isCpu() {
        return type.equals("cpu");
    }

    /**
     * This device, after checking that libtorch can use it.
     *
     * @throws IllegalStateException saying why not: a CPU-only build, no visible GPU, or no GPU
     *     of that index
     */
    public Device requireAvailable() {
        if (isCpu()) return this;
        Torch.init();
        if (!torch.hasCUDA()) {
            throw new IllegalStateException("--device " + this + ": this cd4j build has the CPU-only libtorch;"
                    + " build it with CUDA (mvn -Pcuda -DskipTests package, see docs/GPU.md) on a machine with an NVIDIA GPU");
        }
        int count = torch.cuda_is_available() ? torch.cuda_device_count() : 0;
        if (count == 0) {
            throw new IllegalStateException("--device " + this + ": libtorch has CUDA but sees no GPU"
                    + " (is the NVIDIA driver installed, and CUDA_VISIBLE_DEVICES not empty?)");
        }
        if (index >= count) {
            throw new IllegalStateException("--device " + this + ": there " + (count == 1 ? "is 1 GPU (cuda:0)"
                    : "are " + count + " GPUs (cuda:0 to cuda:" + (count - 1) + ")"));
        }
        return this;
    }

    /** The libtorch device. */
    public org.bytedeco.pytorch.Device torchDevice() {
        return new org.bytedeco.pytorch.Device(toString());
    }

    /** libtorch's device type (for autocast). */
    public torch.DeviceType deviceType() {
        return isCpu() ? torch.DeviceType.CPU : torch.DeviceType.CUDA;
    }

    /** {@code t} on this device: itself when it is there already, else a copy. */
    public Tensor put(Tensor t) {
        if (isCpu() ? t.is_cpu() : t.is_cuda() && (index < 0 || t.device().index() == index)) return t;
        return t.to(torchDevice(), t.scalar_type());
    }

    /** The device a tensor is on. */
    public static Device of(Tensor t) {
        if (t.is_cpu()) return CPU;
        if (t.is_cuda()) return new Device("cuda", t.device().index());
        throw new IllegalArgumentException("tensor on an unsupported device " + t.device().str().getString());
    }

    @Override
    public String toString() {
        return index < 0 ? type : type + ":" + index;
    }
}
