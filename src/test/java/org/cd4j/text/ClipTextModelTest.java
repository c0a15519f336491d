package org.cd4j.text;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Parity;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.nn.WeightMismatchException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClipTextModelTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final Path TE = FIXTURES.resolve("tiny-sd1/text_encoder");
    static final Path TE768 = FIXTURES.resolve("tiny-sd1-768/text_encoder");
    static final double RTOL = 1e-4;
    static final double ATOL = 1e-4;

    static Map<String, Tensor> refs;

    @BeforeAll
    static void readReferences() throws IOException {
        refs = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(FIXTURES.resolve("refs/tiny-sd1/text_encoder.safetensors"))) {
            for (String k : f.keys()) refs.put(k, f.tensor(k).clone()); // own the data beyond the mapping
        }
    }

    static void assertClose(String name, Tensor actual, Tensor expected) {
        Parity.assertElementwise(name, actual, expected, ATOL, RTOL);
    }

    @Test
    void matchesTransformersOnTheFixturePrompts() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE, DType.F32);
        try (NoGradGuard g = new NoGradGuard()) {
            ClipTextModel.Output out = m.forward(refs.get("te.input_ids"));
            assertThat(out.hiddenStates()).hasSize(6); // embeddings + 5 layers
            assertClose("te.embeddings", out.embeddings(), refs.get("te.embeddings"));
            assertClose("te.hidden_states_penultimate", out.penultimate(), refs.get("te.hidden_states_penultimate"));
            assertClose("te.last_hidden_state", out.lastHiddenState(), refs.get("te.last_hidden_state"));
            assertClose("te.pooler_output", out.pooledOutput(), refs.get("te.pooler_output"));
        }
    }

    @Test
    void resizedEmbeddingWithAModifierTokenMatchesTransformers() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE, DType.F32);
        m.resizeTokenEmbeddings(1320);
        m.setTokenEmbeddingRow(1319, m.tokenEmbedding().select(0, 1313));
        try (NoGradGuard g = new NoGradGuard()) {
            ClipTextModel.Output out = m.forward(refs.get("te_new1.input_ids"));
            assertClose("te_new1.last_hidden_state", out.lastHiddenState(), refs.get("te_new1.last_hidden_state"));
        }
    }

    @Test
    void resizeKeepsOldRowsZeroesNewRowsAndKeepsTrainability() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE, DType.F32);
        Tensor before = m.tokenEmbedding().clone();
        m.tokenEmbedding().requires_grad_(true);
        m.resizeTokenEmbeddings(1322);
        Tensor w = m.tokenEmbedding();
        assertThat(Tensors.shape(w)).containsExactly(1322, 32);
        assertThat(m.config().vocabSize()).isEqualTo(1322);
        assertThat(w.requires_grad()).isTrue();
        assertThat(Tensors.maxAbsDiff(w.narrow(0, 0, 1319), before)).isZero();
        assertThat(Tensors.maxAbs(w.narrow(0, 1319, 3))).isZero();
        // the new weight is the registered parameter, so optimisers and state dicts see it
        assertThat(m.namedParameters().get("text_model.embeddings.token_embedding.weight")).isSameAs(w);

        m.resizeTokenEmbeddings(1300); // shrinking keeps the first rows, like transformers
        assertThat(Tensors.maxAbsDiff(m.tokenEmbedding(), before.narrow(0, 0, 1300))).isZero();

        assertThatThrownBy(() -> m.setTokenEmbeddingRow(1300, before.select(0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1300");
        assertThatThrownBy(() -> m.setTokenEmbeddingRow(5, before.narrow(1, 0, 31).select(0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(32)");
    }

    @Test
    void gradientsReachOnlyTheUsedEmbeddingRows() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE, DType.F32);
        m.requiresGrad(false);
        m.resizeTokenEmbeddings(1320);
        m.setTokenEmbeddingRow(1319, m.tokenEmbedding().select(0, 1313));
        m.tokenEmbedding().requires_grad_(true);
        Tensor ids = refs.get("te_new1.input_ids");
        m.forward(ids).lastHiddenState().sum().backward();
        Tensor grad = m.tokenEmbedding().grad();
        assertThat(grad.defined()).isTrue();
        assertThat(Tensors.maxAbs(grad.select(0, 1319))).isGreaterThan(0); // the modifier token learns
        assertThat(Tensors.maxAbs(grad.select(0, 1313))).isZero(); // 'ktn' is not in these prompts
        long[] used = Tensors.toLongs(ids);
        assertThat(used).doesNotContain(1313L);
    }

    @Test
    void poolingFollowsTransformersRuleForBothEosConventions() throws IOException {
        ClipTextModel legacy = ClipTextModel.load(TE, DType.F32);
        legacy.resizeTokenEmbeddings(1320);
        legacy.setTokenEmbeddingRow(1319, legacy.tokenEmbedding().select(0, 1313));
        Tensor ids = refs.get("te_new1.input_ids");
        long[] flat = Tensors.toLongs(ids);
        int t = (int) ids.size(1);
        try (NoGradGuard g = new NoGradGuard()) {
            // eos_token_id == 2: argmax(ids), i.e. the modifier token 1319 (it is above the end token 1318)
            ClipTextModel.Output out = legacy.forward(ids);
            ClipTextConfig c = legacy.config();
            ClipTextConfig modern = new ClipTextConfig(c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                    c.numAttentionHeads(), c.maxPositionEmbeddings(), c.vocabSize(), c.hiddenAct(), c.layerNormEps(),
                    1317, 1318, 1318, c.projectionDim());
            ClipTextModel m2 = new ClipTextModel(modern, DType.F32);
            m2.loadStateDict(legacy.namedParameters(), "legacy model");
            ClipTextModel.Output out2 = m2.forward(ids);
            for (int b = 0; b < ids.size(0); b++) {
                int argmax = 0;
                int firstEos = -1;
                for (int i = 0; i < t; i++) {
                    if (flat[b * t + i] > flat[b * t + argmax]) argmax = i;
                    if (flat[b * t + i] == 1318 && firstEos < 0) firstEos = i;
                }
                assertThat(flat[b * t + argmax]).isEqualTo(1319L);
                assertThat(firstEos).isNotEqualTo(argmax);
                Tensor last = out.lastHiddenState().select(0, b);
                assertThat(Tensors.maxAbsDiff(out.pooledOutput().select(0, b), last.select(0, argmax))).isZero();
                assertThat(Tensors.maxAbsDiff(out2.pooledOutput().select(0, b), last.select(0, firstEos))).isZero();
            }
        }
    }

    @Test
    void causalSdpaMatchesCLIPsAdditiveMask() {
        Rng rng = Rng.seeded(3);
        Tensor q = rng.randn(2, 4, 9, 8);
        Tensor k = rng.randn(2, 4, 9, 8);
        Tensor v = rng.randn(2, 4, 9, 8);
        double scale = Math.pow(8, -0.5);
        Tensor fused = F.sdpa(q, k, v, null, true, scale);
        // transformers: (q * scale) k^T + mask, mask = finfo.min above the diagonal, softmax, @ v
        Tensor mask = torch.full(new long[]{9, 9}, new Scalar(-Float.MAX_VALUE)).triu(1);
        Tensor scores = torch.matmul(F.mul(q, scale), k.transpose(-1, -2)).add(mask);
        Tensor explicit = torch.matmul(F.softmax(scores, -1), v);
        assertThat(Tensors.maxAbsDiff(fused, explicit)).isLessThan(1e-5);
    }

    @Test
    void loadsThe768WideEncoderStrictly() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE768, DType.F32);
        assertThat(m.config().hiddenSize()).isEqualTo(768);
        try (SafetensorsFile f = SafetensorsFile.open(TE768.resolve("model.safetensors"))) {
            assertThat(m.namedParameters().keySet()).containsExactlyInAnyOrderElementsOf(f.keys());
        }
        try (NoGradGuard g = new NoGradGuard()) {
            ClipTextModel.Output out = m.forward(Tensors.fromLongs(new long[]{1317, 320, 1318, 1318, 1318}, 1, 5));
            assertThat(Tensors.shape(out.lastHiddenState())).containsExactly(1, 5, 768);
            assertThat(Tensors.shape(out.pooledOutput())).containsExactly(1, 768);
            assertThat(out.hiddenStates()).hasSize(2);
            assertThat(out.penultimate()).isSameAs(out.embeddings()); // one layer: hidden_states[-2] is the input
        }
    }

    @Test
    void acceptsThePositionIdsBufferAndTextProjection(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("text_encoder");
        Files.createDirectories(dir);
        Files.copy(TE.resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(TE.resolve("model.safetensors"))) {
            for (String k : f.keys()) sd.put(k, f.tensor(k).clone());
        }
        sd.put("text_model.embeddings.position_ids", torch.arange(new Scalar(77)).view(1, 77));
        sd.put("text_projection.weight", torch.zeros(32, 32));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), sd, Map.of("format", "pt"));
        ClipTextModel m = ClipTextModel.load(dir, DType.F32);
        try (NoGradGuard g = new NoGradGuard()) {
            assertClose("te.last_hidden_state (position_ids checkpoint)",
                    m.forward(refs.get("te.input_ids")).lastHiddenState(), refs.get("te.last_hidden_state"));
        }
    }

    @Test
    void badFoldersGiveErrorsNamingTheFile(@TempDir Path tmp) throws IOException {
        assertThatThrownBy(() -> ClipTextModel.load(tmp.resolve("nope"), DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("nope");

        Path dir = Files.createDirectories(tmp.resolve("te"));
        assertThatThrownBy(() -> ClipTextModel.load(dir, DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("config.json");

        String config = Files.readString(TE.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config);
        assertThatThrownBy(() -> ClipTextModel.load(dir, DType.F32))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("model.safetensors");

        Files.write(dir.resolve("pytorch_model.bin"), new byte[]{1});
        assertThatThrownBy(() -> ClipTextModel.load(dir, DType.F32))
                .isInstanceOf(org.cd4j.io.FormatException.class).hasMessageContaining("pytorch_model.bin");
        Files.delete(dir.resolve("pytorch_model.bin"));
        try (org.cd4j.io.SafetensorsFile f = org.cd4j.io.SafetensorsFile.open(TE.resolve("model.safetensors"))) {
            org.cd4j.io.TorchPickleWriter.write(dir.resolve("pytorch_model.bin"), new java.util.LinkedHashMap<>(f.tensors()));
        }
        ClipTextModel fromBin = ClipTextModel.load(dir, DType.F32);
        assertThat(fromBin.tokenEmbedding().size(0)).isEqualTo(1319);
        Files.delete(dir.resolve("pytorch_model.bin"));

        Files.writeString(dir.resolve("config.json"), config.replace("\"clip_text_model\"", "\"clip_vision_model\""));
        assertThatThrownBy(() -> ClipTextConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("clip_vision_model");

        Files.writeString(dir.resolve("config.json"), config.replace("\"CLIPTextModel\"", "\"RobertaSeriesModelWithTransformation\""));
        assertThatThrownBy(() -> ClipTextConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RobertaSeriesModelWithTransformation");

        Files.writeString(dir.resolve("config.json"), config.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"));
        assertThatThrownBy(() -> ClipTextConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("config.json")
                .hasMessageContaining("num_attention_heads");

        Files.writeString(dir.resolve("config.json"), config.replace("\"quick_gelu\"", "\"swiglu\""));
        assertThatThrownBy(() -> ClipTextConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hidden_act");

        Files.writeString(dir.resolve("config.json"), config.replace("\"hidden_size\": 32", "\"hidden_size\": \"32\""));
        assertThatThrownBy(() -> ClipTextConfig.load(dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("field hidden_size");
    }

    @Test
    void wrongShapedWeightNamesKeyAndFile(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("text_encoder"));
        Files.copy(TE.resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(TE.resolve("model.safetensors"))) {
            for (String k : f.keys()) sd.put(k, f.tensor(k).clone());
        }
        sd.put("text_model.encoder.layers.3.mlp.fc1.weight", torch.zeros(36, 32));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), sd, Map.of("format", "pt"));
        assertThatThrownBy(() -> ClipTextModel.load(dir, DType.F32))
                .isInstanceOf(WeightMismatchException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("text_model.encoder.layers.3.mlp.fc1.weight");
    }

    @Test
    void rejectsBadInputIds() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE, DType.F32);
        assertThatThrownBy(() -> m.forward(torch.zeros(new long[]{1, 78}, Tensors.options(DType.I64))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("78 tokens");
        assertThatThrownBy(() -> m.forward(Tensors.fromLongs(new long[]{1317, 1319}, 1, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1319");
        assertThatThrownBy(() -> m.forward(Tensors.fromLongs(new long[]{1317, 1318}, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(batch, tokens)");
    }

    @Test
    void halfPrecisionWeightsLoadAndRun() throws IOException {
        ClipTextModel m = ClipTextModel.load(TE, DType.BF16);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor out = m.forward(refs.get("te.input_ids")).lastHiddenState();
            assertThat(out.scalar_type().value).isEqualTo(torch.ScalarType.BFloat16.value);
            // bf16 keeps ~3 significant digits; the check is that the path runs and stays near fp32
            assertThat(Tensors.maxAbsDiff(out, refs.get("te.last_hidden_state"))).isLessThan(0.25);
        }
    }
}
