package org.cd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every {@code cd4j bench} mode prints one JSON line per measurement, with the machine it ran on. */
class BenchCommandTest {
    static List<JsonNode> lines(CliRun r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> out = new ArrayList<>();
        for (String l : r.out().strip().split("\n")) out.add(new ObjectMapper().readTree(l));
        return out;
    }

    static void assertCommon(JsonNode j, String what) {
        assertThat(j.get("what").asText()).isEqualTo(what);
        assertThat(j.get("repeats").asInt()).isEqualTo(5);
        assertThat(j.get("median_s").asDouble()).isBetween(j.get("min_s").asDouble(), j.get("max_s").asDouble());
        assertThat(j.get("device").asText()).isEqualTo("cpu");
        JsonNode m = j.get("machine");
        assertThat(m.get("cores").asInt()).isPositive();
        assertThat(m.get("threads").asInt()).isPositive();
        assertThat(m.get("libtorch").asText()).startsWith("2.10");
        assertThat(m.has("cpu")).isTrue();
    }

    @Test
    void unetForwardReportsSpeedAndShareOfTheGivenPeak() throws Exception {
        List<JsonNode> out = lines(CliRun.of("bench", "unet", "--arch", "tiny", "--latent", "8", "--warmup", "1",
                "--peak-gflops", "100"));
        assertThat(out).hasSize(1);
        JsonNode j = out.get(0);
        assertCommon(j, "unet_forward");
        assertThat(j.get("arch").asText()).isEqualTo("tiny");
        assertThat(j.get("dtype").asText()).isEqualTo("fp32");
        assertThat(j.get("gflops_per_s").asDouble()).isCloseTo(j.get("gflop").asDouble() / j.get("median_s").asDouble(),
                org.assertj.core.data.Percentage.withPercentage(1));
        assertThat(j.get("share_of_peak").asDouble()).isCloseTo(j.get("gflops_per_s").asDouble() / 100,
                org.assertj.core.data.Offset.offset(0.002));
    }

    @Test
    void trainStepAndPeakModesPrintALinePerMeasurement() throws Exception {
        JsonNode step = lines(CliRun.of("bench", "train", "--arch", "tiny", "--latent", "8", "--batch", "2", "--warmup", "1",
                "--dtype", "bf16", "--peak-gflops", "300")).get(0);
        assertCommon(step, "train_step");
        assertThat(step.get("batch").asInt()).isEqualTo(2);
        assertThat(step.get("dtype").asText()).isEqualTo("bf16-autocast");
        assertThat(step.get("peak_gflops_per_s").asDouble()).isEqualTo(300.0);

        List<JsonNode> peak = lines(CliRun.of("bench", "peak", "--matrix", "64", "--warmup", "1"));
        assertThat(peak).hasSize(2);
        assertThat(peak).extracting(j -> j.get("dtype").asText()).containsExactly("fp32", "bf16");
        for (JsonNode j : peak) {
            assertCommon(j, "matmul");
            assertThat(j.get("gflop").asDouble()).isEqualTo(2.0 * 64 * 64 * 64 / 1e9, org.assertj.core.data.Offset.offset(0.01));
            assertThat(j.has("share_of_peak")).as("the peak is its own yardstick").isFalse();
        }
    }

    @Test
    void fewerThanFiveRepeatsIsAUsageError() {
        CliRun r = CliRun.of("bench", "unet", "--arch", "tiny", "--repeats", "3");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--repeats must be at least 5");
    }
}
