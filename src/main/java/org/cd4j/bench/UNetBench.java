package org.cd4j.bench;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Torch;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;

/**
 * Times one UNet forward pass (batch 1, 77 context tokens, timestep 500) of a preset
 * architecture with random weights, as the Python reference's benchmark does.
 */
public final class UNetBench {
    private UNetBench() {}

    public static BenchResult run(String arch, int latent, DType dtype, int warmup, int repeats) {
        UNetConfig cfg = Presets.unet(arch);
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg, dtype);
        RandomWeights.fill(unet, 0);
        Rng rng = Rng.seeded(1);
        Tensor x = rng.randn(1, cfg.inChannels(), latent, latent);
        Tensor ctx = rng.randn(1, 77, cfg.crossAttentionDim().get(0));
        double[] secs = new double[repeats];
        for (int i = -warmup; i < repeats; i++) {
            try (NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                Tensor out = unet.forward(x, 500.0, ctx);
                out.sum().item_double(); // wait for the result
                double dt = (System.nanoTime() - t0) / 1e9;
                if (i >= 0) secs[i] = dt;
            }
        }
        double gflop = UNetFlops.forward(cfg, latent, latent, 77) / 1e9;
        return new BenchResult("unet_forward", arch, latent, 1, dtype == DType.F32 ? "fp32" : dtype.name().toLowerCase(java.util.Locale.ROOT),
                Torch.threads(), secs, gflop, Rss.peakBytes() / (double) (1L << 30));
    }
}
