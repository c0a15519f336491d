package org.cd4j.concept.merge;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.CrossAttnParams;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.nn.Rng;
import org.cd4j.pipeline.Fixtures;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Models, reference files and synthetic deltas for the merge tests. */
final class MergeFixtures {
    private MergeFixtures() {}

    /** tiny-sd1-768: the reference merge hard-codes 768-wide text features. */
    static Path model() {
        return Fixtures.path("tiny-sd1-768");
    }

    static Path compose(String rel) {
        return Fixtures.path("custom_diffusion/adobe_compose/" + rel);
    }

    static List<String> referenceCaptions() throws Exception {
        return RegCaptions.read(Fixtures.path("custom_diffusion/data/reg_captions.txt"));
    }

    /**
     * A random delta on tiny-sd1-768: every k/v weight is {@code W0 + scale·randn}, every token
     * row {@code 0.02·randn} (about the size of the model's rows), from a seeded generator.
     */
    static ConceptDelta random(long seed, double scale, String... tokens) throws Exception {
        Rng rng = Rng.seeded(seed);
        Map<String, DeltaWeight> weights = new LinkedHashMap<>();
        try (BaseModel base = BaseModel.open(model())) {
            for (String m : base.attentionModules()) {
                if (!m.endsWith("attn2")) continue;
                for (String s : List.of("to_k.weight", "to_v.weight")) {
                    String name = m + "." + s;
                    if (!CrossAttnParams.isValid(name)) continue;
                    Tensor w0 = base.weight(name).to(torch.ScalarType.Float);
                    long[] shape = w0.sizes().vec().get();
                    weights.put(name, DeltaWeight.full(w0.add(rng.randn(shape).mul(new Scalar(scale))).contiguous()));
                }
            }
            Map<String, Tensor> rows = new LinkedHashMap<>();
            for (String t : tokens) rows.put(t, rng.randn(base.tokenDim()).mul(new Scalar(0.02)).contiguous());
            return new ConceptDelta(weights, rows, DeltaInfo.empty()).withBaseModel(base);
        }
    }

    static double relDiff(Tensor a, Tensor b) {
        Tensor x = a.to(torch.ScalarType.Double), y = b.to(torch.ScalarType.Double);
        return x.sub(y).norm().item_double() / Math.max(y.norm().item_double(), 1e-300);
    }
}
