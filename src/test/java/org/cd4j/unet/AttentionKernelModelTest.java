package org.cd4j.unet;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.AttentionKernel.Mode;
import org.cd4j.nn.DType;
import org.cd4j.nn.Parity;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tiny UNet trained through each attention mode: the same output and the same gradients for
 * the trained cross-attention weights and the input (to 1e-5 of their largest magnitude), with
 * a budget small enough that every self-attention is sliced into several chunks.
 */
class AttentionKernelModelTest {
    private static final String TO_K = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight";
    private static final String TO_V = "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_v.weight";

    /** Output, d(loss)/d(to_k), d(loss)/d(to_v), d(loss)/d(sample). */
    private static List<Tensor> step(UNet2DConditionModel m, AttentionKernel kernel) {
        m.setAttentionKernel(kernel);
        Map<String, Tensor> p = m.namedParameters();
        for (String k : List.of(TO_K, TO_V)) p.get(k).mutable_grad().reset();
        Rng rng = Rng.seeded(1);
        Tensor x = rng.randn(2, 4, 16, 16).requires_grad_(true);
        Tensor ctx = rng.randn(2, 7, 32);
        Tensor out = m.forward(x, Tensors.fromLongs(new long[]{300}), ctx);
        out.pow(new Scalar(2)).mean().backward();
        // grad() borrows from its leaf: copies, since x is garbage once we return (its collection freed the
        // borrowed gradient under the caller's feet — a crash in CI)
        return new ArrayList<>(List.of(out.detach(), p.get(TO_K).grad().clone(), p.get(TO_V).grad().clone(), x.grad().clone()));
    }

    @Test
    void slicedFusedAndFullAttentionTrainAlike() throws IOException {
        UNet2DConditionModel m = UNet2DConditionModel.load(UNetTestSupport.TINY_UNET, DType.F32);
        m.requiresGrad(false);
        m.namedParameters().get(TO_K).requires_grad_(true);
        m.namedParameters().get(TO_V).requires_grad_(true);
        // 64 KiB: 16×16 latents give 256 tokens; a row of scores and weights of 2 images × 4 heads
        // takes 2·4·2·4·256 = 16 KiB, so the first self-attentions run in 64 chunks of 4 rows
        AttentionKernel sliced = new AttentionKernel(Mode.SLICED, 64L << 10);
        Attention first = m.attentions().get("down_blocks.0.attentions.0.transformer_blocks.0.attn1");
        Rng rng = Rng.seeded(0);
        Tensor q = rng.randn(2, first.heads(), 256, first.headDim());
        assertThat(first.heads()).isEqualTo(4);
        assertThat(sliced.chunkRows(q, q)).isEqualTo(4);

        List<Tensor> full = step(m, AttentionKernel.of(Mode.FULL));
        String[] names = {"output", "grad to_k", "grad to_v", "grad sample"};
        for (AttentionKernel k : List.of(sliced, AttentionKernel.of(Mode.FUSED), new AttentionKernel(Mode.AUTO, 64L << 10))) {
            List<Tensor> got = step(m, k);
            for (int i = 0; i < names.length; i++) {
                assertThat(Tensors.maxAbs(full.get(i))).isGreaterThan(0);
                Parity.assertRelative(k.mode() + " " + names[i], got.get(i), full.get(i), 1e-5);
            }
        }
    }
}
