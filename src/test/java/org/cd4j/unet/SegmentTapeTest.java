package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.Autocast;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradient checkpointing gives the same output and the same gradients (for the trained
 * cross-attention weights and for the text states) as the plain pass, on tiny-sd1 with a latent
 * size that needs the upsampler sizes forwarded.
 */
class SegmentTapeTest {
    /** Freezes {@code unet} but its cross-attention keys and values, as Custom Diffusion trains; returns those. */
    private static Map<String, Tensor> trainCrossAttentionKv(UNet2DConditionModel unet) {
        unet.requiresGrad(false);
        Map<String, Tensor> trained = new LinkedHashMap<>();
        unet.namedParameters().forEach((k, v) -> {
            if (k.contains("attn2.to_k") || k.contains("attn2.to_v")) {
                v.requires_grad_(true);
                trained.put(k, v);
            }
        });
        return trained;
    }

    @Test
    void checkpointedBackwardEqualsThePlainOne() throws Exception {
        UNet2DConditionModel unet = UNet2DConditionModel.load(Fixtures.tinySd1().resolve("unet"), DType.F32);
        Map<String, Tensor> trained = trainCrossAttentionKv(unet);
        Rng rng = Rng.seeded(5);
        Tensor x = rng.randn(2, 4, 10, 14);
        Tensor target = rng.randn(2, 4, 10, 14);
        Tensor t = Tensors.fromLongs(new long[]{10, 700}, 2);
        Tensor ctxLeaf = rng.randn(2, 77, 32).requires_grad_(true);

        Tensor plainOut = unet.forward(x, t, ctxLeaf.mul(new org.bytedeco.pytorch.Scalar(2.0)));
        F.mseLoss(plainOut, target).backward();
        Map<String, Tensor> plain = new LinkedHashMap<>();
        trained.forEach((k, v) -> plain.put(k, v.grad().clone()));
        Tensor plainCtx = ctxLeaf.grad().clone();
        trained.values().forEach(v -> v.mutable_grad().reset());
        ctxLeaf.mutable_grad().reset();

        SegmentTape tape = new SegmentTape();
        Tensor out = unet.forward(x, t, ctxLeaf.mul(new org.bytedeco.pytorch.Scalar(2.0)), tape);
        assertThat(Tensors.maxAbsDiff(out, plainOut)).isLessThan(1e-6);
        tape.backward(F.mseLoss(out, target));
        for (Map.Entry<String, Tensor> e : trained.entrySet()) {
            double scale = Tensors.maxAbs(plain.get(e.getKey()));
            assertThat(scale).isPositive();
            assertThat(Tensors.maxAbsDiff(e.getValue().grad(), plain.get(e.getKey())) / scale).as(e.getKey()).isLessThan(1e-5);
        }
        assertThat(Tensors.maxAbsDiff(ctxLeaf.grad(), plainCtx) / Tensors.maxAbs(plainCtx)).as("text-state gradient").isLessThan(1e-5);
    }
    /**
     * Under bf16 autocast the recomputation in backward (which callers run after closing their
     * autocast scope) computes in bf16 as the forward did: it ran in float32 before and failed on
     * the first bf16 activation meeting a float32 weight. Gradients equal the plain bf16 pass's.
     */
    @Test
    void checkpointedBackwardUnderAutocastRecomputesInTheSameDtype() throws Exception {
        UNet2DConditionModel unet = UNet2DConditionModel.load(Fixtures.tinySd1().resolve("unet"), DType.F32);
        Map<String, Tensor> trained = trainCrossAttentionKv(unet);
        Rng rng = Rng.seeded(6);
        Tensor x = rng.randn(2, 4, 8, 8);
        Tensor target = rng.randn(2, 4, 8, 8);
        Tensor t = Tensors.fromLongs(new long[]{10, 700}, 2);
        Tensor ctx = rng.randn(2, 77, 32);

        Map<String, Tensor> plain = new LinkedHashMap<>();
        Tensor loss;
        try (Autocast a = Autocast.to(DType.BF16)) {
            loss = F.mseLoss(unet.forward(x, t, ctx).to(torch.ScalarType.Float), target);
        }
        loss.backward();
        trained.forEach((k, v) -> plain.put(k, v.grad().clone()));
        trained.values().forEach(v -> v.mutable_grad().reset());

        SegmentTape tape = new SegmentTape();
        try (Autocast a = Autocast.to(DType.BF16)) {
            loss = F.mseLoss(unet.forward(x, t, ctx, tape).to(torch.ScalarType.Float), target);
        }
        tape.backward(loss);
        assertThat(torch.is_autocast_enabled(torch.DeviceType.CPU)).as("autocast left as the caller left it").isFalse();
        for (Map.Entry<String, Tensor> e : trained.entrySet()) {
            double scale = Tensors.maxAbs(plain.get(e.getKey()));
            assertThat(scale).isPositive();
            assertThat(Tensors.maxAbsDiff(e.getValue().grad(), plain.get(e.getKey())) / scale).as(e.getKey()).isLessThan(5e-2); // bf16 keeps 8 bits: the two graphs sum in different orders
        }
    }
}
