package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Training products as 1×1 convolutions against {@code torch.linear}, and the cases left to it. */
class RecordedLinearTest {
    private static double relErr(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double() / b.abs().max().item_double();
    }

    /**
     * Output and the gradients of input, weight and bias agree to float32 summation order, for a
     * frozen weight (the UNet's projections) and a trained one (the cross-attention keys and
     * values), on 2-D and 3-D inputs, contiguous or not.
     */
    @Test
    void equalsTorchLinearWithGradients() {
        for (boolean trainWeight : new boolean[]{false, true}) {
            for (boolean transposed : new boolean[]{false, true}) {
                try (PointerScope scope = new PointerScope()) {
                    Rng rng = Rng.seeded(3);
                    Tensor w = F.mul(rng.randn(96, 320), 0.05), b = rng.randn(96);
                    // (2, 512, 320), or the same values behind a transposed view
                    Tensor x0 = transposed ? rng.randn(2, 320, 512).transpose(1, 2) : rng.randn(2, 512, 320);
                    Tensor up = rng.randn(2, 512, 96);
                    Tensor[] viaConv = grads(x0, w, b, up, trainWeight, true);
                    Tensor[] viaLinear = grads(x0, w, b, up, trainWeight, false);
                    assertThat(Tensors.shape(viaConv[0])).containsExactly(2, 512, 96);
                    for (int i = 0; i < viaConv.length; i++) {
                        if (viaLinear[i] == null) {
                            assertThat(viaConv[i]).as("result %d only when the weight trains", i).isNull();
                            continue;
                        }
                        assertThat(relErr(viaConv[i], viaLinear[i]))
                                .as("trained weight %s, transposed input %s, result %d", trainWeight, transposed, i)
                                .isLessThan(1e-5);
                    }
                }
            }
        }
    }

    /** Output, d input, d weight, d bias (null when the weight is frozen) through F.linear or torch.linear. */
    private static Tensor[] grads(Tensor x0, Tensor w0, Tensor b0, Tensor up, boolean trainWeight, boolean viaF) {
        Tensor x = x0.detach().clone(); // clone keeps a dense view's strides: a transposed input stays transposed
        assertThat(x.is_contiguous()).isEqualTo(x0.is_contiguous());
        x.requires_grad_(true);
        Tensor w = w0.detach().clone().requires_grad_(trainWeight), b = b0.detach().clone().requires_grad_(trainWeight);
        if (viaF) assertThat(RecordedLinear.applies(x, w, b)).as("a recorded float32 product of 6.3e7 FLOP").isTrue();
        Tensor y = viaF ? F.linear(x, w, b) : torch.linear(x, w, new TensorOptional(b));
        y.mul(up).sum().backward();
        // owned copies: grad() borrows from its leaf
        return new Tensor[]{y.detach().clone(), x.grad().clone(),
                trainWeight ? w.grad().clone() : null, trainWeight ? b.grad().clone() : null};
    }

    /** Inference, small products, autocast and other dtypes keep their paths. */
    @Test
    void onlyRecordedFloat32ProductsOfSomeSizeTakeIt() {
        try (PointerScope scope = new PointerScope()) {
            Rng rng = Rng.seeded(5);
            Tensor w = rng.randn(320, 320), x = rng.randn(1024, 320).requires_grad_(true);
            assertThat(RecordedLinear.applies(x, w, null)).isTrue();
            assertThat(RecordedLinear.applies(x.detach(), w, null)).as("nothing needs a gradient").isFalse();
            try (NoGradGuard g = new NoGradGuard()) {
                assertThat(RecordedLinear.applies(x, w, null)).as("grad mode off").isFalse();
            }
            assertThat(RecordedLinear.applies(rng.randn(16, 320).requires_grad_(true), w, null))
                    .as("3.3e6 FLOP: below the threshold").isFalse();
            assertThat(RecordedLinear.applies(x.to(torch.ScalarType.BFloat16), w.to(torch.ScalarType.BFloat16), null))
                    .as("bfloat16").isFalse();
            try (Autocast a = Autocast.to(DType.BF16)) {
                assertThat(RecordedLinear.applies(x, w, null)).as("under autocast").isFalse();
            }
        }
    }
}
