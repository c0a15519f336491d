package org.cd4j.nn;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A seeded libtorch CPU generator. libtorch's CPU generator is PyTorch's, so
 * {@code Rng.seeded(s).randn(shape)} draws exactly what {@code torch.randn(shape,
 * generator=torch.Generator().manual_seed(s))} draws in Python: drawing the same shapes in the
 * same order as diffusers reproduces its images.
 */
public final class Rng {
    static {
        Torch.init();
    }

    private final Generator generator;

    private Rng(Generator g) {
        this.generator = g;
    }

    /** A new generator seeded like {@code torch.Generator().manual_seed(seed)}. */
    public static Rng seeded(long seed) {
        return new Rng(torch.createCPUGenerator(seed));
    }

    /** Standard normal float32 samples of the given shape. */
    public Tensor randn(long... shape) {
        return torch.randn(shape, new GeneratorOptional(generator), Tensors.options(DType.F32));
    }

    /** Uniform [0, 1) float32 samples of the given shape. */
    public Tensor rand(long... shape) {
        return torch.rand(shape, new GeneratorOptional(generator), Tensors.options(DType.F32));
    }

    /** Uniform integers in [low, high) as int64, like {@code torch.randint(low, high, shape)}. */
    public Tensor randint(long low, long high, long... shape) {
        return torch.randint(low, high, shape, new GeneratorOptional(generator), Tensors.options(DType.I64));
    }

    /** The generator's full state (a uint8 tensor), for checkpoints. */
    public Tensor state() {
        return generator.get_state();
    }

    /** Restores a state from {@link #state()}. */
    public void setState(Tensor state) {
        generator.set_state(state);
    }

    /** The underlying libtorch generator. */
    public Generator generator() {
        return generator;
    }
}
