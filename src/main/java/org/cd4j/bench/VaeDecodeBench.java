package org.cd4j.bench;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.Rng;
import org.cd4j.vae.AutoencoderKL;
import org.cd4j.vae.VaeConfig;
import org.cd4j.vae.VaeTiling;

/**
 * One VAE decode of a batch-1 latent of a preset architecture with random weights (latent 128 =
 * a 1024×1024 image for SD), untiled or tiled as {@code tiling} decides; {@code what} is
 * {@code vae_decode} or {@code vae_decode_tiled} accordingly. Its work is not counted.
 */
public final class VaeDecodeBench {
    private VaeDecodeBench() {}

    public static Workload workload(Device device, String arch, int latent, DType dtype, AttentionKernel attention,
                                    VaeTiling.Mode tiling) {
        VaeConfig cfg = Presets.vae(arch);
        AutoencoderKL vae = new AutoencoderKL(cfg, dtype);
        RandomWeights.fill(vae, 0);
        vae.to(device);
        vae.setAttentionKernel(attention);
        vae.setTiling(tiling);
        Tensor z = device.put(Rng.seeded(1).randn(1, cfg.latentChannels(), latent, latent)).to(dtype.scalarType);
        Runnable pass = () -> {
            try (NoGradGuard g = new NoGradGuard()) {
                vae.decode(z).sum().item_double();
            }
        };
        String what = vae.tilesDecode(latent, latent) ? "vae_decode_tiled" : "vae_decode";
        BenchLabel label = new BenchLabel(what, arch, latent, 1, MatmulPeak.name(dtype), device.toString(), attention.mode().flag());
        return new Workload(label, device, 0, pass);
    }
}
