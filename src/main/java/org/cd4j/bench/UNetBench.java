package org.cd4j.bench;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.Rng;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;

/**
 * Times one UNet forward pass (batch 1, 77 context tokens, timestep 500) of a preset
 * architecture with random weights, as the Python reference's benchmark does.
 */
public final class UNetBench {
    private UNetBench() {}

    /** @param peakGflops the matrix-product peak in {@code dtype}, NaN when unknown */
    public static BenchResult run(Device device, String arch, int latent, DType dtype, int warmup, int repeats, double peakGflops) {
        UNetConfig cfg = Presets.unet(arch);
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg, dtype);
        RandomWeights.fill(unet, 0);
        unet.to(device);
        Rng rng = Rng.seeded(1);
        Tensor x = device.put(rng.randn(1, cfg.inChannels(), latent, latent));
        Tensor ctx = device.put(rng.randn(1, 77, cfg.crossAttentionDim().get(0)));
        double[] secs;
        try (NoGradGuard g = new NoGradGuard()) {
            secs = Repeats.time(device, warmup, repeats, () -> unet.forward(x, 500.0, ctx).sum().item_double());
        }
        double gflop = UNetFlops.forward(cfg, latent, latent, 77) / 1e9;
        return new BenchResult("unet_forward", arch, latent, 1, MatmulPeak.name(dtype), device.toString(), secs, gflop, peakGflops,
                Rss.peakBytes() / (double) (1L << 30));
    }
}
