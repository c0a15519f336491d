package org.cd4j.unet;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.cd4j.unet.UNetTestSupport.randomize;

class AttentionTest {

    /** Reference: per-head softmax(q kᵀ / sqrt(d)) v written out with matmul and softmax. */
    static Tensor explicitAttention(Attention a, Tensor hidden, Tensor context) {
        Tensor ctx = context == null ? hidden : context;
        Tensor q = a.splitHeads(a.query(hidden));
        Tensor k = a.splitHeads(a.key(ctx));
        Tensor v = a.splitHeads(a.value(ctx));
        Tensor w = F.softmax(F.mul(q.matmul(k.transpose(-2, -1)), a.scale()), -1); // (B, heads, T, S)
        return a.output(a.mergeHeads(w.matmul(v)));
    }

    @Test
    void defaultProcessorIsMultiHeadSoftmaxAttention() {
        Attention a = new Attention(32, 24, 4, 8, false, DType.F32);
        randomize(a, 1, 0.2);
        Rng rng = Rng.seeded(2);
        Tensor h = rng.randn(2, 10, 32);
        Tensor ctx = rng.randn(2, 7, 24);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor out = a.forward(h, ctx);
            assertThat(Tensors.shape(out)).containsExactly(2, 10, 32);
            assertThat(Tensors.maxAbsDiff(out, explicitAttention(a, h, ctx))).isLessThan(1e-5);
            Attention self = new Attention(32, 0, 2, 16, false, DType.F32);
            randomize(self, 3, 0.2);
            assertThat(self.isCrossAttention()).isFalse();
            assertThat(Tensors.maxAbsDiff(self.forward(h, null), explicitAttention(self, h, null))).isLessThan(1e-5);
        }
    }

    /**
     * The seam the Custom Diffusion processor needs: keys and values of token 0 detached
     * ({@code k = m*k + (1-m)*k.detach()}) leave the output unchanged and stop its gradient.
     */
    @Test
    void customDiffusionStyleProcessorInAFewLines() {
        AttentionProcessor detachFirstToken = (attn, hidden, context) -> {
            Tensor ctx = context == null ? hidden : context;
            Tensor k = attn.key(ctx);
            Tensor v = attn.value(ctx);
            if (context != null) {
                Tensor m = torch.ones_like(k);
                m.narrow(1, 0, 1).zero_(); // (B, 1, inner): position 0
                Tensor keep = F.add(F.mul(m, -1.0), 1.0); // 1 - m
                k = m.mul(k).add(keep.mul(k.detach()));
                v = m.mul(v).add(keep.mul(v.detach()));
            }
            return attn.output(attn.attend(attn.query(hidden), k, v));
        };
        Attention a = new Attention(32, 24, 4, 8, false, DType.F32);
        randomize(a, 4, 0.2);
        Rng rng = Rng.seeded(5);
        Tensor h = rng.randn(2, 10, 32);

        Tensor ctx1 = rng.randn(2, 7, 24).requires_grad_(true);
        Tensor plain = a.forward(h, ctx1);
        plain.sum().backward();
        Tensor ctx2 = ctx1.detach().clone().requires_grad_(true);
        a.setProcessor(detachFirstToken);
        assertThat(a.processor()).isSameAs(detachFirstToken);
        Tensor detached = a.forward(h, ctx2);
        detached.sum().backward();

        assertThat(Tensors.maxAbsDiff(plain, detached)).isZero();
        assertThat(Tensors.maxAbs(ctx1.grad().narrow(1, 0, 1))).isGreaterThan(0);
        assertThat(Tensors.maxAbs(ctx2.grad().narrow(1, 0, 1))).isZero();
        assertThat(Tensors.maxAbsDiff(ctx1.grad().narrow(1, 1, 6), ctx2.grad().narrow(1, 1, 6))).isLessThan(1e-6);
    }

    @Test
    void upcastAttentionInBf16StaysCloseToFloat32() {
        Attention a32 = new Attention(64, 32, 4, 16, true, DType.F32);
        randomize(a32, 6, 0.2);
        Attention a16 = new Attention(64, 32, 4, 16, true, DType.BF16);
        a16.loadStateDict(a32.namedParameters(), "copy");
        Rng rng = Rng.seeded(7);
        Tensor h = rng.randn(1, 16, 64);
        Tensor ctx = rng.randn(1, 5, 32);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor ref = a32.forward(h, ctx);
            Tensor out = a16.forward(h.to(torch.ScalarType.BFloat16), ctx.to(torch.ScalarType.BFloat16));
            assertThat(out.scalar_type().value).isEqualTo(torch.ScalarType.BFloat16.value);
            assertThat(Tensors.maxAbsDiff(out, ref) / Tensors.maxAbs(ref)).isLessThan(0.05);
        }
    }

    @Test
    void modelWideProcessorSeesEveryAttentionWithItsKind() throws java.io.IOException {
        UNet2DConditionModel m = UNet2DConditionModel.load(UNetTestSupport.TINY_UNET, DType.F32);
        List<Boolean> calls = new ArrayList<>();
        AttentionProcessor spy = (attn, hidden, context) -> {
            calls.add(context != null);
            assertThat(context != null).isEqualTo(attn.isCrossAttention());
            return SdpaAttentionProcessor.INSTANCE.apply(attn, hidden, context);
        };
        Rng rng = Rng.seeded(9);
        Tensor x = rng.randn(1, 4, 8, 8);
        Tensor ctx = rng.randn(1, 7, 32);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor before = m.forward(x, Tensors.fromLongs(new long[]{5}), ctx);
            m.setAttentionProcessor(spy);
            Tensor after;
            try {
                after = m.forward(x, Tensors.fromLongs(new long[]{5}), ctx);
            } finally {
                m.setAttentionProcessor(SdpaAttentionProcessor.INSTANCE);
            }
            assertThat(Tensors.maxAbsDiff(before, after)).isZero();
        }
        assertThat(calls).hasSize(12);
        assertThat(calls.stream().filter(c -> c).count()).isEqualTo(6);
    }

    @Test
    void onlyCrossAttentionMakesAttn1AttendToTheContext() throws java.io.IOException {
        com.fasterxml.jackson.databind.node.ObjectNode n = UNetTestSupport.tinyConfig();
        n.putArray("only_cross_attention").add(true).add(false);
        UNet2DConditionModel m = new UNet2DConditionModel(UNetTestSupport.parse(n), DType.F32);
        var attns = m.attentions();
        Attention down1 = attns.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1");
        assertThat(down1.isCrossAttention()).isTrue();
        assertThat(Tensors.shape(down1.toK().weight())).containsExactly(32, 32);
        // up block 1 mirrors down block 0; the mid block never uses only_cross_attention (diffusers 0.21.4)
        assertThat(attns.get("up_blocks.1.attentions.0.transformer_blocks.0.attn1").isCrossAttention()).isTrue();
        assertThat(attns.get("mid_block.attentions.0.transformer_blocks.0.attn1").isCrossAttention()).isFalse();
        randomize(m, 10, 0.05);
        Rng rng = Rng.seeded(10);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor out = m.forward(rng.randn(1, 4, 8, 8), Tensors.fromLongs(new long[]{5}), rng.randn(1, 3, 32));
            assertThat(Tensors.shape(out)).containsExactly(1, 4, 8, 8);
        }
        assertThat(down1.scale()).isCloseTo(1 / Math.sqrt(8), within(1e-12));
    }
}
