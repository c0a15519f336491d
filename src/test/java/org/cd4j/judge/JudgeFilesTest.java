package org.cd4j.judge;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.Tensors;
import org.cd4j.nn.WeightMismatchException;
import org.cd4j.world.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The judge's weight file, its architecture, and what it does with pictures of the wrong size. */
class JudgeFilesTest {
    @TempDir
    Path tmp;

    private static Judge fresh() {
        Judge j = new Judge();
        j.initialise(11);
        return j;
    }

    @Test
    void weightsRoundTripExactly() throws IOException {
        Judge a = fresh();
        Path f = tmp.resolve("judge.safetensors");
        a.save(f, Map.of("format", "cd4j-judge"), false);
        Judge b = Judge.load(f);
        Map<String, Tensor> pa = a.namedParameters(), pb = b.namedParameters();
        assertThat(pb.keySet()).containsExactlyElementsOf(pa.keySet());
        for (String k : pa.keySet()) assertThat(Tensors.maxAbsDiff(pa.get(k), pb.get(k))).as(k).isZero();
        List<BufferedImage> pics = List.of(new World(1).pretrainingSample(0).image());
        assertThat(b.predict(pics).get(0).embedding()).containsExactly(a.predict(pics).get(0).embedding());
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.metadata()).containsEntry("format", "cd4j-judge");
        }
        assertThatThrownBy(() -> a.save(f, Map.of(), false)).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void parameterNamesAndSize() {
        Map<String, Tensor> p = new Judge().namedParameters();
        assertThat(p).containsKeys("conv_in.weight", "norm_in.weight", "stages.0.down.weight", "stages.1.norm2.bias",
                "embed.weight", "heads.category.weight", "heads.pattern_colour.bias", "heads.concept.weight");
        assertThat(Tensors.shape(p.get("heads.concept.weight"))).containsExactly(5, Judge.EMBEDDING);
        // small enough to ship: 4 bytes a weight, well under a megabyte and a half
        assertThat(new Judge().parameterCount()).isBetween(200_000L, 350_000L);
    }

    @Test
    void loadingIsStrictAndNamesTheFile() throws IOException {
        Map<String, Tensor> w = new LinkedHashMap<>(fresh().namedParameters());
        w.remove("heads.size.bias");
        w.put("heads.shape.bias", Tensors.fromFloats(new float[3], 3));
        Path f = tmp.resolve("bad.safetensors");
        SafetensorsWriter.write(f, w, Map.of());
        assertThatThrownBy(() -> Judge.load(f)).isInstanceOf(WeightMismatchException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("missing 1 weight(s): heads.size.bias")
                .hasMessageContaining("unexpected 1 weight(s): heads.shape.bias");

        Map<String, Tensor> shaped = new LinkedHashMap<>(fresh().namedParameters());
        shaped.put("heads.concept.bias", Tensors.fromFloats(new float[4], 4));
        Path g = tmp.resolve("shape.safetensors");
        SafetensorsWriter.write(g, shaped, Map.of());
        assertThatThrownBy(() -> Judge.load(g)).hasMessageContaining("heads.concept.bias has shape [4], expected [5]");
    }

    @Test
    void largerSquaresAreResizedOtherShapesRefused() {
        Judge j = fresh();
        BufferedImage small = new World(2).pretrainingSample(3).image();
        BufferedImage big = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = big.createGraphics();
        g.drawImage(small, 0, 0, 128, 128, null);   // every pixel doubled
        g.dispose();
        // doubling then area-averaging gives the picture back exactly
        assertThat(j.predict(List.of(big)).get(0).embedding()).containsExactly(j.predict(List.of(small)).get(0).embedding());
        assertThat(JudgeImages.to64(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), 0).getWidth()).isEqualTo(64);

        BufferedImage wide = new BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB);
        assertThatThrownBy(() -> j.predict(List.of(small, wide))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("picture 1 is 96x64; the judge reads square pictures (64x64, other squares are resized)");
        assertThatThrownBy(() -> j.predict(java.util.Arrays.asList(small, null))).hasMessage("picture 1 is null");
    }

    @Test
    void forwardRefusesOtherShapes() {
        Tensor x = Tensors.fromFloats(new float[3 * 32 * 32], 1, 3, 32, 32);
        assertThatThrownBy(() -> fresh().forward(x)).hasMessageContaining("(B, 3, 64, 64)").hasMessageContaining("[1, 3, 32, 32]");
    }

    @Test
    void probabilitiesSumToOne() {
        Prediction p = fresh().predict(List.of(new World(2).pretrainingSample(4).image())).get(0);
        for (Head h : Head.values()) {
            double s = 0;
            for (float v : p.probabilities(h)) s += v;
            assertThat(s).as(h.name()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
        }
        assertThat(p.embedding()).hasSize(Judge.EMBEDDING);
    }
}
