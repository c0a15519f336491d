package org.cd4j.pretrain;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;

import java.util.Map;

/**
 * Fresh weights for a model trained from scratch, as PyTorch's and transformers' constructors
 * draw them: matrices and kernels {@code U(−1/√fan_in, 1/√fan_in)} (torch's
 * {@code kaiming_uniform_(a=√5)}), biases zero, norm scales one, CLIP's token embedding
 * {@code N(0, 0.02)} and position embedding {@code N(0, 0.01)}. Every draw comes from one seeded
 * generator in parameter order, so a seed names the initial model exactly.
 */
public final class ParamInit {
    private ParamInit() {}

    /** Initialises every parameter of {@code m} in place. */
    public static void apply(Module m, long seed) {
        Rng rng = Rng.seeded(seed);
        GeneratorOptional gen = new GeneratorOptional(rng.generator());
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                String name = e.getKey();
                Tensor p = e.getValue();
                if (name.endsWith("token_embedding.weight")) {
                    p.normal_(0.0, 0.02, gen);
                } else if (name.endsWith("position_embedding.weight")) {
                    p.normal_(0.0, 0.01, gen);
                } else if (p.dim() >= 2) {
                    long fanIn = p.numel() / p.size(0); // in-features × kernel area
                    double bound = 1.0 / Math.sqrt(fanIn);
                    p.uniform_(-bound, bound, gen);
                } else if (name.endsWith("bias")) {
                    p.zero_();
                } else {
                    p.fill_(new Scalar(1.0)); // GroupNorm / LayerNorm scales
                }
            }
        }
    }
}
