package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.unet.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --to webui}: merged weights exactly base + delta, tokens as A1111 embedding files. */
class WebuiExportTest {
    @TempDir
    Path tmp;

    @Test
    void fullDeltaMergesToTheTrainedWeightsAndTokensBecomeEmbeddingFiles() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        Path out = tmp.resolve("a1111/concept.safetensors");
        List<Path> files = WebuiExport.write(DeltaFixtures.tinySd1(), d, "delta", out, false);
        assertThat(files).containsExactly(out, tmp.resolve("a1111/embeddings/<new1>.safetensors"));

        Map<String, Tensor> base = DeltaFixtures.twin(DeltaFixtures.tinySd1().resolve("unet/diffusion_pytorch_model.safetensors"));
        UNetLayout layout = UNetLayout.of(UNetConfig.load(DeltaFixtures.tinySd1().resolve("unet/config.json")));
        Map<String, Tensor> ckpt = DeltaFixtures.twin(out);
        int changed = 0;
        for (Map.Entry<String, Tensor> e : base.entrySet()) {
            Tensor merged = ckpt.get("model.diffusion_model." + layout.toLdm(e.getKey()));
            DeltaWeight w = d.weights().get(e.getKey());
            assertThat(DeltaFixtures.bitEqual(merged, w == null ? e.getValue() : w.full())).as(e.getKey()).isTrue();
            if (w != null && !DeltaFixtures.bitEqual(w.full(), e.getValue())) changed++;
        }
        assertThat(changed).isEqualTo(d.weights().size()); // every trained weight differs from the base

        try (SafetensorsFile emb = SafetensorsFile.open(files.get(1))) {
            assertThat(emb.keys()).containsExactly("emb_params"); // A1111: the file's only tensor, named after the file
            assertThat(emb.info("emb_params").shape()).containsExactly(1, 32);
            assertThat(Tensors.bytes(emb.tensor("emb_params"))).isEqualTo(Tensors.bytes(d.tokens().get("<new1>")));
        }
        Map<String, Tensor> read = TokenFiles.read(files.get(1));
        assertThat(read).containsOnlyKeys("<new1>");
        assertThat(DeltaFixtures.bitEqual(read.get("<new1>"), d.tokens().get("<new1>"))).isTrue();
    }

    @Test
    void lowRankDeltaMergesAsBasePlusUV() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.compressedDelta()).delta();
        assertThat(d.hasLowRank()).isTrue();
        Path out = tmp.resolve("compressed.safetensors");
        WebuiExport.write(DeltaFixtures.tinySd1(), d, "compressed", out, false);
        Map<String, Tensor> base = DeltaFixtures.twin(DeltaFixtures.tinySd1().resolve("unet/diffusion_pytorch_model.safetensors"));
        UNetLayout layout = UNetLayout.of(UNetConfig.load(DeltaFixtures.tinySd1().resolve("unet/config.json")));
        Map<String, Tensor> ckpt = DeltaFixtures.twin(out);
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            Tensor w0 = base.get(e.getKey());
            Tensor expected = w0.add(e.getValue().u().to(torch.ScalarType.Float).matmul(e.getValue().v().to(torch.ScalarType.Float)));
            Tensor merged = ckpt.get("model.diffusion_model." + layout.toLdm(e.getKey()));
            assertThat(Tensors.maxAbsDiff(merged, expected)).as(e.getKey()).isLessThanOrEqualTo(1e-6);
            assertThat(Tensors.maxAbsDiff(merged, w0)).as(e.getKey()).isGreaterThan(0);
        }
    }

    @Test
    void nothingIsWrittenWhenAnyOutputExists() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta();
        Path out = tmp.resolve("concept.safetensors");
        Files.createDirectories(tmp.resolve("embeddings"));
        Files.writeString(tmp.resolve("embeddings/<new1>.safetensors"), "mine");
        assertThatThrownBy(() -> WebuiExport.write(DeltaFixtures.tinySd1(), d, "delta", out, false))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("<new1>.safetensors");
        assertThat(out).doesNotExist();
        assertThat(tmp.resolve("embeddings/<new1>.safetensors")).hasContent("mine");
    }

    @Test
    void aDeltaOfAnotherShapeIsRefusedBeforeWriting() throws Exception {
        ConceptDelta d = DeltaFiles.load(DeltaFixtures.cd("adobe_compose/input_pot/delta.bin")).delta(); // tiny-sd1-768's
        Path out = tmp.resolve("x.safetensors");
        assertThatThrownBy(() -> WebuiExport.write(DeltaFixtures.tinySd1(), d, "pot", out, false))
                .hasMessageContaining("[32, 768] in the delta but [32, 32] in the model");
        assertThat(out).doesNotExist();
    }
}
