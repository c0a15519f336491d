package org.cd4j.unet;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The model leaves autograd to the caller: training gets gradients, NoGradGuard turns them off. */
class UNetGradientTest {
    @Test
    void gradientsReachTheCrossAttentionKeyValueWeightsOnly() throws IOException {
        UNet2DConditionModel m = UNet2DConditionModel.load(UNetTestSupport.TINY_UNET, DType.F32);
        m.requiresGrad(false);
        Map<String, Tensor> params = m.namedParameters();
        String toK = "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight";
        String toV = "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_v.weight";
        params.get(toK).requires_grad_(true);
        params.get(toV).requires_grad_(true);

        Rng rng = Rng.seeded(1);
        Tensor x = rng.randn(1, 4, 8, 8);
        Tensor ctx = rng.randn(1, 7, 32);
        Tensor out = m.forward(x, Tensors.fromLongs(new long[]{300}), ctx);
        assertThat(out.requires_grad()).isTrue();
        out.pow(new org.bytedeco.pytorch.Scalar(2)).mean().backward();
        assertThat(Tensors.maxAbs(params.get(toK).grad())).isGreaterThan(0);
        assertThat(Tensors.maxAbs(params.get(toV).grad())).isGreaterThan(0);
        assertThat(params.get("conv_in.weight").grad().defined()).isFalse();

        try (NoGradGuard g = new NoGradGuard()) {
            assertThat(m.forward(x, Tensors.fromLongs(new long[]{300}), ctx).requires_grad()).isFalse();
        }
    }
}
