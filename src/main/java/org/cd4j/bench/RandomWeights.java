package org.cd4j.bench;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;

import java.util.Map;

/**
 * Fills a module with plausible random weights for timing runs: matrices and kernels
 * ~ N(0, 1/fan_in), norm scales 1, biases 0 — so activations keep a normal range (tiny values
 * would hit slow denormal arithmetic and distort the timing).
 */
public final class RandomWeights {
    private RandomWeights() {}

    public static void fill(Module m, long seed) {
        Rng rng = Rng.seeded(seed);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                if (p.dim() >= 2) {
                    long fanIn = p.numel() / p.size(0);
                    // in place: no temporary copy of every weight waiting for the garbage collector
                    p.normal_(0.0, 1.0 / Math.sqrt(fanIn), new org.bytedeco.pytorch.GeneratorOptional(rng.generator()));
                } else if (e.getKey().endsWith("bias")) {
                    p.zero_();
                } else {
                    p.fill_(new Scalar(1.0));
                }
            }
        }
    }
}
