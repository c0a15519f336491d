package org.cd4j.concept.compress;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.concept.delta.LoadedDelta;
import org.cd4j.nn.Rng;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link DeltaCompressor} on the adobe training delta of tiny-sd1 (12 k/v matrices, 32x32 and 64x32). */
class DeltaCompressorTest {
    @TempDir
    Path tmp;

    private static BaseModel base;
    private static ConceptDelta delta;

    @BeforeAll
    static void load() throws Exception {
        base = BaseModel.open(Fixtures.tinySd1());
        delta = DeltaFiles.load(Fixtures.path("custom_diffusion/adobe_train/delta.bin")).delta();
    }

    @AfterAll
    static void close() throws Exception {
        base.close();
    }

    private static DeltaCompressor.Result compress(ConceptDelta d, RankCriterion c) throws Exception {
        return DeltaCompressor.compress(d, base, new DeltaCompressor.Options(c, false), "delta.bin");
    }

    @Test
    void errorFallsWithRankAndVanishesAtFullRank() throws Exception {
        Map<String, Double> previous = new LinkedHashMap<>();
        for (int r = 1; r <= 32; r++) {
            CompressionReport report = compress(delta, new RankCriterion.FixedRank(r)).report();
            for (LayerCompression l : report.layers()) {
                assertThat(l.rank()).isEqualTo(r);
                assertThat(l.storedParams()).isEqualTo((long) r * (l.rows() + l.cols()));
                Double before = previous.put(l.name(), l.relativeError());
                if (before != null) assertThat(l.relativeError()).as(l.name() + " at rank " + r).isLessThanOrEqualTo(before + 1e-7);
            }
            if (r == 32) assertThat(report.maxRelativeError()).isLessThan(1e-6);
            if (r == 1) assertThat(report.maxRelativeError()).isGreaterThan(0.1);
        }
    }

    @Test
    void storedProductIsTheChangeAndAppliesAsW0PlusUV() throws Exception {
        DeltaCompressor.Result r = compress(delta, new RankCriterion.Energy(1.0));
        for (Map.Entry<String, DeltaWeight> e : r.delta().weights().entrySet()) {
            Tensor w0 = base.weight(e.getKey());
            Tensor applied = e.getValue().applied(w0, 1.0);
            assertThat(relDiff(applied, delta.weights().get(e.getKey()).full())).as(e.getKey()).isLessThan(1e-6);
        }
        assertThat(r.delta().tokens().keySet()).containsExactlyElementsOf(delta.tokens().keySet());
    }

    @Test
    void energyBoundsTheRelativeError() throws Exception {
        CompressionReport report = compress(delta, new RankCriterion.Energy(0.9)).report();
        for (LayerCompression l : report.layers()) assertThat(l.relativeError()).as(l.name()).isLessThanOrEqualTo(Math.sqrt(0.1) + 1e-6);
        assertThat(report.totalRelativeError()).isLessThanOrEqualTo(Math.sqrt(0.1) + 1e-6);
    }

    @Test
    void rankLargerThanTheMatrixIsRefused() {
        assertThatThrownBy(() -> compress(delta, new RankCriterion.FixedRank(33)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 32");
    }

    @Test
    void metadataRecordsCriterionAndBaseModel() throws Exception {
        ConceptDelta c = compress(delta, new RankCriterion.Ratio(0.6)).delta();
        assertThat(c.storage()).isEqualTo(ConceptDelta.LOW_RANK);
        assertThat(c.info().notes()).contains("compressed by cd4j compress --ratio 0.6").contains("W0 exact");
        assertThat(c.info().baseModelSha256()).isEqualTo(base.identity(delta.weights().keySet()));
    }

    @Test
    void exactW0DiffersFromTheReferenceFp16Option() throws Exception {
        ConceptDelta exact = compress(delta, new RankCriterion.FixedRank(32)).delta();
        DeltaCompressor.Result fp16 = DeltaCompressor.compress(delta, base,
                new DeltaCompressor.Options(new RankCriterion.FixedRank(32), true), "delta.bin");
        assertThat(fp16.warnings()).anyMatch(w -> w.contains("float16-rounded"));
        String k = exact.weights().keySet().iterator().next();
        Tensor a = exact.weights().get(k).u().matmul(exact.weights().get(k).v());
        Tensor b = fp16.delta().weights().get(k).u().matmul(fp16.delta().weights().get(k).v());
        assertThat(relDiff(a, b)).isGreaterThan(1e-5);
    }

    @Test
    void alreadyLowRankIsRefactorisedWithAWarning() throws Exception {
        ConceptDelta compressed = DeltaFiles.load(Fixtures.path("custom_diffusion/adobe_compress/compressed_delta.bin")).delta();
        DeltaCompressor.Result r = compress(compressed, new RankCriterion.FixedRank(1));
        assertThat(r.warnings()).anyMatch(w -> w.contains("already compressed"));
        assertThat(r.report().layers()).allMatch(l -> l.rank() == 1);
        // Recompressing at a rank at least the stored one loses nothing.
        DeltaCompressor.Result same = compress(compressed, new RankCriterion.FixedRank(4));
        for (LayerCompression l : same.report().layers()) assertThat(l.relativeError()).as(l.name()).isLessThan(1e-5);
    }

    @Test
    void queryAndOutputWeightsAreCopied() throws Exception {
        Map<String, DeltaWeight> w = new LinkedHashMap<>(delta.weights());
        String q = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q.weight";
        Tensor wq = base.weight(q).to(torch.ScalarType.Float).add(Rng.seeded(1).randn(32, 32).mul(new Scalar(0.01)));
        w.put(q, DeltaWeight.full(wq));
        ConceptDelta crossattn = new ConceptDelta(w, delta.tokens(), DeltaInfo.empty());
        DeltaCompressor.Result r = compress(crossattn, new RankCriterion.Ratio(0.6));
        assertThat(r.delta().weights().get(q).isLowRank()).isFalse();
        assertThat(r.delta().weights().get(q).full().equal(wq)).isTrue();
        assertThat(r.report().layers().stream().filter(LayerCompression::copied).map(LayerCompression::name)).containsExactly(q);
        assertThat(r.delta().storage()).isEqualTo(ConceptDelta.MIXED);
    }

    @Test
    void anotherBaseModelIsRefused() {
        ConceptDelta other = delta.withInfo(delta.info().withBaseModel("0".repeat(64), "sd-other"));
        assertThatThrownBy(() -> compress(other, new RankCriterion.Ratio(0.6)))
                .hasMessageContaining("another base model").hasMessageContaining("sd-other");
    }

    @Test
    void exportsToTheAdobeCompressedFormat() throws Exception {
        ConceptDelta c = compress(delta, new RankCriterion.Ratio(0.6)).delta();
        Path out = tmp.resolve("compressed_delta.bin");
        DeltaFiles.save(c, DeltaFormat.ADOBE, out, base, false);
        LoadedDelta back = DeltaFiles.load(out);
        assertThat(back.format()).isEqualTo(DeltaFormat.ADOBE);
        assertThat(back.delta().storage()).isEqualTo(ConceptDelta.LOW_RANK);
        for (String k : c.weights().keySet()) {
            assertThat(back.delta().weights().get(k).u().equal(c.weights().get(k).u())).isTrue();
            assertThat(back.delta().weights().get(k).v().equal(c.weights().get(k).v())).isTrue();
        }
    }

    static double relDiff(Tensor a, Tensor b) {
        Tensor x = a.to(torch.ScalarType.Double), y = b.to(torch.ScalarType.Double);
        return x.sub(y).norm().item_double() / Math.max(y.norm().item_double(), 1e-30);
    }
}
