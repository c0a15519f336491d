package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class TorchPickleReaderTest {
    static final Path CD = Path.of("src/test/resources/fixtures/custom_diffusion");

    /** Flattens nested dicts with '/' as the fixtures' safetensors twins do. */
    static void flatten(String prefix, Object v, Map<String, Object> out) {
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flatten(prefix.isEmpty() ? (String) e.getKey() : prefix + "/" + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, v);
        }
    }

    static List<Path> binFixtures() throws IOException {
        try (Stream<Path> s = Files.walk(CD, FileVisitOption.FOLLOW_LINKS)) {
            return s.filter(p -> p.toString().endsWith(".bin")).sorted().toList();
        }
    }

    @Test
    void everyFixtureMatchesItsSafetensorsTwinExactly() throws IOException {
        List<Path> bins = binFixtures();
        assertThat(bins).hasSizeGreaterThanOrEqualTo(8);
        int compared = 0;
        for (Path bin : bins) {
            Path twin = bin.resolveSibling(bin.getFileName().toString().replaceAll("\\.bin$", ".safetensors"));
            if (!Files.exists(twin)) continue;
            Map<String, Object> flat = new LinkedHashMap<>();
            flatten("", TorchPickleReader.read(bin), flat);
            flat.values().removeIf(v -> v instanceof Map<?, ?> m && m.isEmpty()); // attn1.processor: {}
            try (SafetensorsFile st = SafetensorsFile.open(twin)) {
                assertThat(flat.keySet()).as(bin.toString()).containsExactlyInAnyOrderElementsOf(st.keys());
                for (String k : st.keys()) {
                    Tensor expected = st.tensor(k);
                    Tensor actual = (Tensor) flat.get(k);
                    assertThat(Tensors.shape(actual)).as(bin + " " + k).isEqualTo(Tensors.shape(expected));
                    assertThat(TensorDTypes.ofOrNull(actual)).isEqualTo(TensorDTypes.ofOrNull(expected));
                    assertThat(Tensors.bytes(actual)).as(bin + " " + k).isEqualTo(Tensors.bytes(expected));
                    compared++;
                }
            }
        }
        assertThat(compared).isGreaterThan(50);
    }

    @Test
    void viewOfALargerStorageBecomesItsOwnTensor() throws IOException {
        Map<String, Object> d = TorchPickleReader.readDict(CD.resolve("diffusers_train/<new1>.bin"), TorchPickleReader.Mode.STRICT);
        assertThat(d).containsOnlyKeys("<new1>");
        Tensor row = (Tensor) d.get("<new1>");
        assertThat(Tensors.shape(row)).containsExactly(32);
        assertThat(row.storage_offset()).isZero();
        assertThat(row.is_contiguous()).isTrue();
        assertThat(row.nbytes()).isEqualTo(128);
        assertThat(row.storage().nbytes()).isEqualTo(128); // not the whole 1320x32 embedding
        assertThat(TensorDTypes.ofOrNull(row)).isEqualTo(DType.F32);
    }

    @Test
    void keepsEmptyProcessorDictsAndOrder() throws IOException {
        Map<String, Object> d = TorchPickleReader.readDict(
                CD.resolve("diffusers_train/pytorch_custom_diffusion_weights.bin"), TorchPickleReader.Mode.STRICT);
        assertThat(d).hasSize(18);
        assertThat(d.get("down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor")).isEqualTo(Map.of());
        assertThat(d.keySet().iterator().next())
                .isEqualTo("down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor.to_k_custom_diffusion.weight");
    }

    @Test
    void readsNestedAdobeDeltas() throws IOException {
        Map<String, Object> d = TorchPickleReader.readDict(CD.resolve("adobe_compress/compressed_delta.bin"), TorchPickleReader.Mode.STRICT);
        assertThat(d).containsOnlyKeys("unet", "modifier_token");
        @SuppressWarnings("unchecked")
        Map<String, Object> unet = (Map<String, Object>) d.get("unet");
        Object first = unet.values().iterator().next();
        assertThat(first).isInstanceOf(Map.class);
        assertThat(List.copyOf(((Map<?, ?>) first).keySet())).isEqualTo(List.of("u", "v"));
    }
}
