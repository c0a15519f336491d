package org.cd4j.cli;

import org.cd4j.bench.BenchResult;
import org.cd4j.bench.Presets;
import org.cd4j.bench.TrainStepBench;
import org.cd4j.bench.UNetBench;
import org.cd4j.nn.DType;
import org.cd4j.nn.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code cd4j bench unet|train --arch sd15 --latent N}: times a UNet forward pass or a Custom
 * Diffusion training step of a real architecture with random weights; prints one JSON line
 * {@code {"what", "arch", "latent", "median_s", "gflops_per_s", "peak_rss_gib", ...}}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark a UNet forward pass or a training step; prints one JSON line.")
public final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "unet|train", description = "What to time.")
    String what;

    @Option(names = "--arch", defaultValue = "sd15", description = "Architecture: sd15, sd21 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--latent", defaultValue = "64", description = "Latent side (64 = 512 px) (default: ${DEFAULT-VALUE}).")
    int latent;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeats", defaultValue = "5", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--batch", defaultValue = "1", description = "Training batch (train only) (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--gradient-checkpointing", description = "Train step with block recomputation (train only).")
    boolean checkpointing;

    @Option(names = "--threads", description = "libtorch threads (default: every core).")
    Integer threads;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        if (!Presets.NAMES.contains(arch)) throw new UsageException("--arch '" + arch + "' is unknown (expected " + String.join(", ", Presets.NAMES) + ")");
        if (latent < 8 || latent % 8 != 0) throw new UsageException("--latent must be a multiple of 8, got " + latent);
        if (warmup < 0 || repeats < 1) throw new UsageException("--warmup must be >= 0 and --repeats >= 1");
        DType dt;
        try {
            dt = DType.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dtype " + e.getMessage());
        }
        if (batch < 1) throw new UsageException("--batch must be at least 1");
        if (threads != null) Torch.setThreads(threads);
        BenchResult r;
        switch (what) {
            case "unet":
                r = UNetBench.run(arch, latent, dt, warmup, repeats);
                break;
            case "train":
                r = TrainStepBench.run(arch, latent, batch, dt, checkpointing, warmup, repeats);
                break;
            default:
                throw new UsageException("bench target '" + what + "' is unknown (expected unet or train)");
        }
        System.out.println(r.toJson());
        return 0;
    }
}
