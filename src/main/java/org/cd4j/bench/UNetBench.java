package org.cd4j.bench;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.Rng;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;

/**
 * One UNet forward pass (batch 1, 77 context tokens, timestep 500) of a preset architecture
 * with random weights, as the Python reference's benchmark runs it.
 */
public final class UNetBench {
    private UNetBench() {}

    public static Workload workload(Device device, String arch, int latent, DType dtype, AttentionKernel attention) {
        UNetConfig cfg = Presets.unet(arch);
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg, dtype);
        RandomWeights.fill(unet, 0);
        unet.to(device);
        unet.setAttentionKernel(attention);
        Rng rng = Rng.seeded(1);
        Tensor x = device.put(rng.randn(1, cfg.inChannels(), latent, latent));
        Tensor ctx = device.put(rng.randn(1, 77, cfg.crossAttentionDim().get(0)));
        Runnable pass = () -> {
            try (NoGradGuard g = new NoGradGuard()) {
                unet.forward(x, 500.0, ctx).sum().item_double();
            }
        };
        BenchLabel label = new BenchLabel("unet_forward", arch, latent, 1, MatmulPeak.name(dtype), device.toString(),
                attention.mode().flag());
        return new Workload(label, device, UNetFlops.forward(cfg, latent, latent, 77) / 1e9, pass);
    }
}
