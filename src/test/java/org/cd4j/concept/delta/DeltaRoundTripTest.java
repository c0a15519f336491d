package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.TrainMode;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cd4j.concept.delta.DeltaFixtures.bitEqual;

/** Writing and reading back is bit-exact in every format; the diffusers output has diffusers' structure. */
class DeltaRoundTripTest {
    @TempDir
    Path tmp;

    private static ConceptDelta described(ConceptDelta d) {
        return d.withInfo(d.info().withInitializerTokens(List.of("ktn")).withBaseModel("ab".repeat(32), "tiny-sd1")
                .withTraining("{\"learning_rate\":1e-5,\"max_train_steps\":20}").withNotes("a note: ünïcode"));
    }

    @Test
    void cd4jFileRoundTripIsExactIncludingMetadata() throws Exception {
        ConceptDelta d = described(DeltaFiles.load(DeltaFixtures.adobeDelta()).delta());
        Path f = tmp.resolve("concept.cd4j.safetensors");
        DeltaFiles.save(d, DeltaFormat.CD4J, f, null, false);
        LoadedDelta back = DeltaFiles.load(f);
        assertThat(back.format()).isEqualTo(DeltaFormat.CD4J);
        assertThat(back.delta().contentEquals(d)).isTrue();
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.metadata()).containsEntry("format", "cd4j-delta").containsEntry("format_version", "1")
                    .containsEntry("modifier_tokens", "[\"<new1>\"]").containsEntry("initializer_tokens", "[\"ktn\"]")
                    .containsEntry("train_mode", "crossattn_kv").containsEntry("weights", "full")
                    .containsEntry("base_model_sha256", "ab".repeat(32)).containsEntry("base_model_name", "tiny-sd1");
            assertThat(sf.keys()).contains("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
                    "token_embedding.<new1>");
        }
    }

    @Test
    void lowRankCd4jFileRoundTrip() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        Path f = tmp.resolve("c.cd4j.safetensors");
        Cd4jDeltaFile.write(f, d, false);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.metadata()).containsEntry("weights", "low_rank");
            assertThat(sf.keys()).contains("unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight.u",
                    "unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight.v");
        }
        assertThat(Cd4jDeltaFile.read(f).contentEquals(d)).isTrue();
    }

    @Test
    void cd4jToAdobeToCd4j() throws Exception {
        ConceptDelta d = described(DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta());
        Path bin = tmp.resolve("delta.bin");
        DeltaFiles.save(d, DeltaFormat.ADOBE, bin, null, false);
        Map<String, Object> root = TorchPickleReader.readDict(bin, TorchPickleReader.Mode.STRICT);
        assertThat(root.keySet()).containsExactly("unet", "modifier_token");
        ConceptDelta back = DeltaFiles.load(bin).delta();
        assertThat(back.sameTensors(d)).isTrue();
        assertThat(back.trainMode()).isEqualTo(d.trainMode());
        assertThat(back.modifierTokens()).isEqualTo(d.modifierTokens());
    }

    @Test
    void adobeCompressedRoundTrip() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        Path bin = tmp.resolve("compressed_delta.bin");
        DeltaFiles.save(d, DeltaFormat.ADOBE, bin, null, false);
        Map<String, Object> unet = asMap(TorchPickleReader.readDict(bin, TorchPickleReader.Mode.STRICT).get("unet"));
        assertThat(asMap(unet.values().iterator().next()).keySet()).containsExactly("u", "v");
        assertThat(DeltaFiles.load(bin).delta().sameTensors(d)).isTrue();
    }

    @Test
    void cd4jToDiffusersToCd4j() throws Exception {
        ConceptDelta d = described(DeltaFiles.load(DeltaFixtures.adobeDelta()).delta());
        Path out = tmp.resolve("diffusers");
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            List<Path> files = DeltaFiles.save(d, DeltaFormat.DIFFUSERS, out, base, false);
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly(DiffusersDeltaFolder.BIN,
                    DiffusersDeltaFolder.SAFETENSORS, "<new1>.bin", "<new1>.safetensors");
        }
        assertThat(DeltaFiles.load(out).delta().sameTensors(d)).isTrue();
        assertThat(DeltaFiles.load(out.resolve(DiffusersDeltaFolder.BIN)).delta().sameTensors(d)).isTrue();
    }

    @Test
    void writtenDiffusersBinHasTheReferenceStructure() throws Exception {
        Path ref = DeltaFixtures.diffusersTrain().resolve(DiffusersDeltaFolder.BIN);
        ConceptDelta d = DeltaFiles.load(ref).delta();
        Path out = tmp.resolve("out");
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            DiffusersDeltaFolder.write(out, d, base, false);
        }
        Map<String, Object> want = TorchPickleReader.readDict(ref, TorchPickleReader.Mode.STRICT);
        Map<String, Object> got = TorchPickleReader.readDict(out.resolve(DiffusersDeltaFolder.BIN), TorchPickleReader.Mode.STRICT);
        assertThat(new ArrayList<>(got.keySet())).isEqualTo(new ArrayList<>(want.keySet()));
        for (String k : want.keySet()) {
            if (want.get(k) instanceof Tensor t) {
                assertThat(bitEqual((Tensor) got.get(k), t)).as(k).isTrue();
            } else {
                assertThat(k).endsWith(".attn1.processor");
                assertThat(asMap(got.get(k))).isEmpty();
            }
        }
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve(DiffusersDeltaFolder.SAFETENSORS))) {
            assertThat(st.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(st.keys()).hasSize(12).noneMatch(k -> k.contains("attn1"));
        }
        Map<String, Tensor> tok = TokenFiles.read(out.resolve("<new1>.bin"));
        assertThat(bitEqual(tok.get("<new1>"), d.tokens().get("<new1>"))).isTrue();
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("<new1>.safetensors"))) {
            assertThat(st.keys()).containsExactly("<new1>");
            assertThat(st.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void crossattnDeltaUsesAllProcessorKeysInOrder() throws Exception {
        Path out = tmp.resolve("crossattn");
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            ConceptDelta kv = DeltaFiles.load(DeltaFixtures.adobeDelta()).delta();
            Map<String, DeltaWeight> w = new LinkedHashMap<>();
            for (String k : kv.weights().keySet()) {
                String m = CrossAttnParams.module(k);
                for (String s : List.of("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight", "to_out.0.bias")) {
                    w.putIfAbsent(m + "." + s, DeltaWeight.full(org.cd4j.nn.F.add(base.weight(m + "." + s), 0.01)));
                }
            }
            ConceptDelta d = new ConceptDelta(w, kv.tokens(), DeltaInfo.empty());
            assertThat(d.trainMode()).isEqualTo(TrainMode.CROSSATTN);
            DiffusersDeltaFolder.write(out, d, base, false);
            Map<String, Object> got = TorchPickleReader.readDict(out.resolve(DiffusersDeltaFolder.BIN), TorchPickleReader.Mode.STRICT);
            assertThat(new ArrayList<>(got.keySet()).subList(0, 5)).extracting(k -> k.substring(k.indexOf(".processor.") + 11))
                    .containsExactly("to_k_custom_diffusion.weight", "to_v_custom_diffusion.weight", "to_q_custom_diffusion.weight",
                            "to_out_custom_diffusion.0.weight", "to_out_custom_diffusion.0.bias");
            ConceptDelta back = DeltaFiles.load(out).delta();
            assertThat(back.trainMode()).isEqualTo(TrainMode.CROSSATTN);
            assertThat(back.weights()).hasSize(30);
            for (String k : w.keySet()) assertThat(bitEqual(back.weights().get(k).full(), w.get(k).full())).as(k).isTrue();
        }
    }

    @Test
    void lowRankIsExpandedWithTheBaseForDiffusers() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        Path out = tmp.resolve("expanded");
        assertThatThrownBy(() -> DiffusersDeltaFolder.write(out, d, null, false)).hasMessageContaining("--model");
        try (BaseModel base = BaseModel.open(DeltaFixtures.tinySd1())) {
            DiffusersDeltaFolder.write(out, d, base, false);
            ConceptDelta back = DeltaFiles.load(out).delta();
            assertThat(back.storage()).isEqualTo(ConceptDelta.FULL);
            for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
                Tensor want = base.weight(e.getKey()).add(e.getValue().u().matmul(e.getValue().v()));
                assertThat(Tensors.maxAbsDiff(back.weights().get(e.getKey()).full(), want)).isLessThan(1e-7);
            }
        }
    }

    @Test
    void existingOutputIsKeptWithoutOverwrite() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.adobeDelta()).delta();
        Path out = tmp.resolve("d");
        DiffusersDeltaFolder.write(out, d, null, false);
        long before = Files.getLastModifiedTime(out.resolve(DiffusersDeltaFolder.BIN)).toMillis();
        assertThatThrownBy(() -> DiffusersDeltaFolder.write(out, d, null, false))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.getLastModifiedTime(out.resolve(DiffusersDeltaFolder.BIN)).toMillis()).isEqualTo(before);
        DiffusersDeltaFolder.write(out, d, null, true);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }
}
