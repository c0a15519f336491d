package org.cd4j.bench;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.AdamW;
import org.cd4j.concept.CustomDiffusionAttnProcessor;
import org.cd4j.concept.TrainMode;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.Autocast;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.unet.Attention;
import org.cd4j.unet.SegmentTape;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One Custom Diffusion training step of a preset UNet with random weights: forward with
 * the Custom Diffusion attention processor, MSE loss against noise, backward, AdamW on the
 * cross-attention key/value weights only (32 tensors, 19.2 M parameters for SD-1.5) — the work
 * the Python reference's benchmark step does. A step costs about twice the forward FLOPs
 * (backward propagates input gradients through every layer; the weight gradients of the
 * trained projections are negligible), which is what {@code gflops_per_s} uses.
 */
public final class TrainStepBench {
    private TrainStepBench() {}

    /** @param amp the autocast dtype (F32: none) */
    public static Workload workload(Device device, String arch, int latent, int batch, DType amp, boolean checkpointing,
                                    AttentionKernel attention) {
        UNetConfig cfg = Presets.unet(arch);
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg, DType.F32);
        RandomWeights.fill(unet, 0);
        unet.to(device);
        unet.requiresGrad(false);
        Map<String, Tensor> trained = new LinkedHashMap<>();
        unet.namedParameters().forEach((k, v) -> {
            if (TrainMode.CROSSATTN_KV.trains(k)) {
                v.requires_grad_(true);
                trained.put(k, v);
            }
        });
        for (Attention a : unet.attentions().values()) a.setProcessor(CustomDiffusionAttnProcessor.INSTANCE);
        unet.setAttentionKernel(attention);
        AdamW opt = AdamW.withDefaults(trained);
        Rng rng = Rng.seeded(1);
        Tensor x = device.put(rng.randn(batch, cfg.inChannels(), latent, latent));
        Tensor noise = device.put(rng.randn(batch, cfg.inChannels(), latent, latent));
        Tensor ctx = device.put(rng.randn(batch, 77, cfg.crossAttentionDim().get(0)));
        Runnable pass = () -> {
            Tensor loss;
            SegmentTape tape = checkpointing ? new SegmentTape() : null;
            try (Autocast ac = Autocast.to(device, amp)) {
                Tensor t = Tensors.scalar(500.0);
                loss = F.mseLoss(unet.forward(x, t, ctx, tape).to(org.bytedeco.pytorch.global.torch.ScalarType.Float), noise);
            }
            if (tape != null) tape.backward(loss); else loss.backward();
            opt.step(1e-5);
            opt.zeroGrad();
        };
        double gflop = 2 * batch * UNetFlops.forward(cfg, latent, latent, 77) / 1e9;
        String what = checkpointing ? "train_step_checkpointed" : "train_step";
        BenchLabel label = new BenchLabel(what, arch, latent, batch, amp == DType.F32 ? "fp32" : MatmulPeak.name(amp) + "-autocast",
                device.toString(), attention.mode().flag());
        return new Workload(label, device, gflop, pass);
    }
}
