package org.cd4j.concept;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.Device;
import org.cd4j.nn.Parity;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training run with sliced attention (a 2 KiB budget: tiny-sd1's attention at 64 px runs one
 * query row at a time) trains the same delta as the default fused kernel, to 1e-5 relative, and
 * says which mode it ran in {@code summary.json}.
 */
class TrainerAttentionTest {
    @TempDir
    Path tmp;

    private Path run(Path data, String name, AttentionKernel attention) throws IOException {
        Path out = tmp.resolve(name);
        new Trainer(TrainerReuseTest.config(data, out, "no"), TrainListener.NONE, new RunOptions(true, Device.CPU, attention)).run(null);
        return out;
    }

    @Test
    void slicedAttentionTrainsTheSameDelta() throws Exception {
        Path data = Fixtures.copyOf("custom_diffusion/data/pot", tmp);
        Path fused = run(data, "fused", AttentionKernel.DEFAULT);
        Path sliced = run(data, "sliced", new AttentionKernel(AttentionKernel.Mode.SLICED, 2048));
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(fused.resolve(Trainer.SUMMARY).toFile()).get("attention").asText()).isEqualTo("auto");
        assertThat(json.readTree(sliced.resolve(Trainer.SUMMARY).toFile()).get("attention").asText()).isEqualTo("sliced");
        try (SafetensorsFile a = SafetensorsFile.open(fused.resolve(Trainer.DELTA));
             SafetensorsFile b = SafetensorsFile.open(sliced.resolve(Trainer.DELTA))) {
            assertThat(b.keys()).isEqualTo(a.keys());
            for (String k : a.keys()) Parity.assertRelative(k, b.tensor(k), a.tensor(k), 1e-5);
        }
        List<String> ma = Files.readAllLines(fused.resolve("metrics.jsonl")), mb = Files.readAllLines(sliced.resolve("metrics.jsonl"));
        for (int i = 0; i < ma.size(); i++) {
            JsonNode p = json.readTree(ma.get(i)), q = json.readTree(mb.get(i));
            assertThat(q.get("loss").doubleValue()).isCloseTo(p.get("loss").doubleValue(), org.assertj.core.data.Percentage.withPercentage(1e-3));
        }
    }
}
