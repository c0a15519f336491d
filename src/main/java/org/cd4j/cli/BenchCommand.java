package org.cd4j.cli;

import org.cd4j.bench.BenchResult;
import org.cd4j.bench.MatmulPeak;
import org.cd4j.bench.MemoryResult;
import org.cd4j.bench.OpBreakdown;
import org.cd4j.bench.Presets;
import org.cd4j.bench.TrainStepBench;
import org.cd4j.bench.UNetBench;
import org.cd4j.bench.VaeDecodeBench;
import org.cd4j.bench.Workload;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.Torch;
import org.cd4j.vae.VaeTiling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code cd4j bench unet|train|vae-decode|peak}: times a UNet forward pass, a Custom Diffusion
 * training step or a VAE decode of a real architecture with random weights, or the machine's
 * matrix-product peak. Prints one JSON line per measurement ({@link BenchResult}): the median of
 * at least 5 timed runs, GFLOP/s and the share of the peak measured in the same dtype, peak
 * memory, and the machine. With {@code --memory}, one untimed pass and its peak resident memory
 * instead ({@link MemoryResult}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark a UNet forward pass, a training step, a VAE decode or the matrix-product peak; one JSON line per measurement.")
public final class BenchCommand implements Callable<Integer> {
    /** Fewer timed runs give no useful median. */
    static final int MIN_REPEATS = 5;

    @Parameters(index = "0", paramLabel = "unet|train|vae-decode|peak", description = "What to measure.")
    String what;

    @Option(names = "--arch", defaultValue = "sd15", description = "Architecture: sd15, sd21, tiny (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--latent", defaultValue = "64", description = "Latent side (64 = 512 px, 128 = 1024 px) (default: ${DEFAULT-VALUE}).")
    int latent;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeats", defaultValue = "5", description = "Timed runs (at least 5); the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--batch", defaultValue = "1", description = "Training batch (train only) (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--gradient-checkpointing", description = "Train step with block recomputation (train only).")
    boolean checkpointing;

    @Option(names = "--attention", paramLabel = "MODE", defaultValue = "auto", description = MemoryFlags.ATTENTION_HELP)
    String attention;

    @Option(names = "--vae-tiling", paramLabel = "MODE", defaultValue = "off",
            description = "auto, on or off: tiled VAE decoding (vae-decode only) (default: ${DEFAULT-VALUE}).")
    String vaeTiling;

    @Option(names = "--memory", description = "One untimed pass and its peak resident memory instead of timings"
            + " (--warmup and --repeats do not apply).")
    boolean memory;

    @Option(names = "--peak-gflops", paramLabel = "F", description = "The matrix-product peak to report shares against"
            + " (default: measured first, ~1 s).")
    Double peakGflops;

    @Option(names = "--matrix", paramLabel = "N", defaultValue = "2048", description = "Matrix side (peak only) (default: ${DEFAULT-VALUE}).")
    int matrix;

    @Option(names = "--breakdown", description = "After the timing (unet and vae-decode on the CPU), profile as many passes again and print one line per"
            + " kernel and shape: time, GFLOP/s and shares of the pass and of the peak, and the rest of the pass.")
    boolean breakdown;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu", description = DeviceFlag.HELP)
    String device;

    @Option(names = "--threads", description = "libtorch threads (default: every core).")
    Integer threads;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        if (!Presets.NAMES.contains(arch)) throw new UsageException("--arch '" + arch + "' is unknown (expected " + String.join(", ", Presets.NAMES) + ")");
        if (latent < 8 || latent % 8 != 0) throw new UsageException("--latent must be a multiple of 8, got " + latent);
        if (warmup < 0) throw new UsageException("--warmup must be >= 0");
        if (repeats < MIN_REPEATS) throw new UsageException("--repeats must be at least " + MIN_REPEATS + " (the median of the runs is reported)");
        if (matrix < 1) throw new UsageException("--matrix must be at least 1");
        if (peakGflops != null && !(peakGflops > 0)) throw new UsageException("--peak-gflops must be positive");
        DType dt;
        try {
            dt = DType.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dtype " + e.getMessage());
        }
        if (batch < 1) throw new UsageException("--batch must be at least 1");
        AttentionKernel kernel = MemoryFlags.attention(attention);
        VaeTiling.Mode tiling = MemoryFlags.tiling(vaeTiling);
        if (threads != null) Torch.setThreads(threads);
        Device dev = DeviceFlag.parse(device);
        if (breakdown) {
            if (!what.equals("unet") && !what.equals("vae-decode")) {
                throw new UsageException("--breakdown applies to unet and vae-decode (a training step's backward kernels are not seen)");
            }
            if (memory) throw new UsageException("--breakdown and --memory measure different passes; ask for one at a time");
            if (!dev.isCpu()) throw new UsageException("--breakdown needs --device cpu (GPU kernels run asynchronously, so per-call wall time means nothing)");
        }
        Workload w = switch (what) {
            case "unet" -> UNetBench.workload(dev, arch, latent, dt, kernel);
            case "train" -> TrainStepBench.workload(dev, arch, latent, batch, dt, checkpointing, kernel);
            case "vae-decode" -> VaeDecodeBench.workload(dev, arch, latent, dt, kernel, tiling);
            case "peak" -> {
                if (memory) throw new UsageException("--memory does not apply to peak (a matrix product's memory says nothing)");
                for (DType d : new DType[] {DType.F32, DType.BF16}) print(MatmulPeak.run(dev, d, matrix, warmup, repeats).toJson());
                yield null;
            }
            default -> throw new UsageException("bench target '" + what + "' is unknown (expected unet, train, vae-decode or peak)");
        };
        if (w != null && memory) {
            print(w.memory().toJson());
        } else if (w != null) {
            double p = w.gflop() > 0 ? peak(dev, dt) : Double.NaN;
            print(w.time(warmup, repeats, p).toJson());
            if (breakdown) OpBreakdown.run(w, repeats, p).forEach(BenchCommand::print);
        }
        return 0;
    }

    private double peak(Device dev, DType dt) {
        return peakGflops != null ? peakGflops : MatmulPeak.measure(dev, dt);
    }

    private static void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
