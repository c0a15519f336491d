package org.cd4j.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The matrix-product form of deep, small convolutions against libtorch's kernel. */
class Conv2dTest {
    private static double relErr(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double() / b.abs().max().item_double();
    }

    /** Output and the gradients of input, weight and bias agree to float32 summation order, stride 1 and 2, batch 1 and 2. */
    @Test
    void matmulFormEqualsTheKernelWithGradients() {
        for (long stride : new long[]{1, 2}) {
            for (long batch : new long[]{1, 2}) {
                try (PointerScope scope = new PointerScope()) {
                    Conv2d conv = new Conv2d(1024, 24, 3, stride, 1);
                    Rng rng = Rng.seeded(7);
                    try (NoGradGuard g = new NoGradGuard()) {
                        conv.loadStateDict(Map.of("weight", F.mul(rng.randn(24, 1024, 3, 3), 0.02), "bias", rng.randn(24)), "test");
                    }
                    Tensor x = rng.randn(batch, 1024, 8, 8);
                    assertThat(conv.asMatmul(x)).as("1024 channels at 8×8 or less take the matrix product").isTrue();
                    Tensor w = conv.namedParameters().get("weight"), b = conv.namedParameters().get("bias");
                    Tensor up = rng.randn(batch, 24, stride == 1 ? 8 : 4, stride == 1 ? 8 : 4); // upstream gradient

                    Tensor[] viaKernel = grads(x, w, b, up, xx -> F.conv2d(xx, w, b, stride, 1));
                    Tensor[] viaMatmul = grads(x, w, b, up, conv::forward);
                    for (int i = 0; i < viaKernel.length; i++) {
                        assertThat(relErr(viaMatmul[i], viaKernel[i])).as("stride %d batch %d, result %d", stride, batch, i).isLessThan(1e-5);
                    }
                }
            }
        }
    }

    /** Output, d input, d weight, d bias of {@code f} for the upstream gradient {@code up}. */
    private static Tensor[] grads(Tensor x0, Tensor w, Tensor b, Tensor up, java.util.function.UnaryOperator<Tensor> f) {
        Tensor x = x0.detach().clone().requires_grad_(true);
        w.requires_grad_(true);
        b.requires_grad_(true);
        Tensor y = f.apply(x);
        y.mul(up).sum().backward();
        // owned copies: grad() borrows from its leaf
        Tensor[] out = {y.detach().clone(), x.grad().clone(), w.grad().clone(), b.grad().clone()};
        w.mutable_grad().reset();
        b.mutable_grad().reset();
        return out;
    }

    /** Shallow layers, large pictures and 1×1 kernels keep libtorch's kernel. */
    @Test
    void onlyDeepSmallConvolutionsTakeTheMatrixProduct() {
        try (PointerScope scope = new PointerScope()) {
            assertThat(new Conv2d(640, 1280, 3, 1, 1).asMatmul(Tensors.fromFloats(new float[640 * 64], 1, 640, 8, 8))).isFalse();
            assertThat(new Conv2d(1280, 1280, 3, 1, 1).asMatmul(Tensors.fromFloats(new float[1280 * 256], 1, 1280, 16, 16))).isFalse();
            assertThat(new Conv2d(1280, 1280, 3, 2, 1).asMatmul(Tensors.fromFloats(new float[1280 * 256], 1, 1280, 16, 16))).isTrue();
            assertThat(new Conv2d(2560, 1280, 1, 1, 0).asMatmul(Tensors.fromFloats(new float[2560 * 16], 1, 2560, 4, 4))).isFalse();
            assertThat(new Conv2d(2560, 1280, 3, 1, 1, DType.BF16).asMatmul(Tensors.fromFloats(new float[2560 * 16], 1, 2560, 4, 4)
                    .to(torch.ScalarType.BFloat16))).as("bfloat16 too").isTrue();
            assertThat(new Conv2d(2560, 1280, 3, 1, 1, DType.F16).asMatmul(Tensors.fromFloats(new float[2560 * 16], 1, 2560, 4, 4)
                    .to(torch.ScalarType.Half))).as("float16 (GPU precision) keeps the kernel").isFalse();
        }
    }

    /**
     * In bfloat16 (the {@code --dtype bf16} weights) the matrix product agrees with libtorch's kernel
     * to bfloat16 rounding: both accumulate in float32 and round the result once.
     */
    @Test
    void bfloat16MatmulFormEqualsTheKernel() {
        for (long stride : new long[]{1, 2}) {
            try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                Rng rng = Rng.seeded(11);
                Conv2d conv = new Conv2d(1024, 32, 3, stride, 1, DType.BF16);
                conv.loadStateDict(Map.of("weight", F.mul(rng.randn(32, 1024, 3, 3), 0.02), "bias", rng.randn(32)), "test");
                Tensor x = rng.randn(2, 1024, 8, 8).to(torch.ScalarType.BFloat16);
                assertThat(conv.asMatmul(x)).isTrue();
                Tensor w = conv.namedParameters().get("weight"), b = conv.namedParameters().get("bias");
                Tensor viaMatmul = conv.forward(x);
                assertThat(viaMatmul.scalar_type().value).isEqualTo(torch.ScalarType.BFloat16.value);
                Tensor viaKernel = F.conv2d(x, w, b, stride, 1);
                Tensor exact = F.conv2d(x.to(torch.ScalarType.Float),
                        w.to(torch.ScalarType.Float), b.to(torch.ScalarType.Float), stride, 1);
                // one bfloat16 rounding of the float32 sum, bias included: under 2^-8 of the largest value,
                // and no worse than the kernel (a bias added after the product would round twice)
                double errMatmul = relErr(viaMatmul.to(torch.ScalarType.Float), exact);
                double errKernel = relErr(viaKernel.to(torch.ScalarType.Float), exact);
                assertThat(errMatmul).as("stride %d: matmul form against float32", stride).isLessThan(4e-3);
                assertThat(errKernel).as("stride %d: libtorch's kernel against float32", stride).isLessThan(4e-3);
                assertThat(errMatmul).as("stride %d: matmul form no worse than the kernel", stride).isLessThanOrEqualTo(1.25 * errKernel);
            }
        }
    }
}
