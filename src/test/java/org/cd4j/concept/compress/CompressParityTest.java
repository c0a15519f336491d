package org.cd4j.concept.compress;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code DeltaCompressor} against the reference's own output: adobe {@code src/compress.py}
 * (diffusers mode, ratio 0.6, fp16 W0) on the tiny-sd1 training delta.
 */
class CompressParityTest {
    private static final Path DIR = Fixtures.path("custom_diffusion/adobe_compress");

    @Test
    void sameRanksAndFactorsAsTheReference() throws Exception {
        ConceptDelta input = DeltaFiles.load(DIR.resolve("delta.bin")).delta();
        ConceptDelta reference = DeltaFiles.load(DIR.resolve("compressed_delta.bin")).delta();
        try (BaseModel base = BaseModel.open(Fixtures.tinySd1())) {
            DeltaCompressor.Result r = DeltaCompressor.compress(input, base,
                    new DeltaCompressor.Options(new RankCriterion.Ratio(0.6, true), true), "delta.bin");
            ConceptDelta ours = r.delta();
            assertThat(ours.weights().keySet()).containsExactlyElementsOf(reference.weights().keySet());
            for (Map.Entry<String, DeltaWeight> e : reference.weights().entrySet()) {
                DeltaWeight want = e.getValue(), got = ours.weights().get(e.getKey());
                assertThat(got.rank()).as(e.getKey()).isEqualTo(want.rank());
                // Singular vectors are defined up to sign: compare the products and |u|, |v| column-wise.
                assertThat(relDiff(got.u().matmul(got.v()), want.u().matmul(want.v()))).as(e.getKey()).isLessThan(1e-4);
                assertThat(relDiff(got.u().abs(), want.u().abs())).as(e.getKey()).isLessThan(1e-4);
                assertThat(relDiff(got.v().abs(), want.v().abs())).as(e.getKey()).isLessThan(1e-4);
            }
            assertThat(ours.modifierTokens()).isEqualTo(reference.modifierTokens());
            assertThat(r.report().layers()).extracting(LayerCompression::rank).containsExactly(3, 1, 3, 1, 2, 1, 3, 1, 2, 1, 4, 2);
        }
    }

    static double relDiff(Tensor a, Tensor b) {
        Tensor x = a.to(torch.ScalarType.Double), y = b.to(torch.ScalarType.Double);
        double n = y.norm().item_double();
        return x.sub(y).norm().item_double() / Math.max(n, 1e-30);
    }
}
