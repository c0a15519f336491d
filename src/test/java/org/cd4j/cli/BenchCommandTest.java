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

    /**
     * {@code --breakdown}: after the timing line, one line per kernel and shape, most time first,
     * and a last "rest" line; the kernels' work adds up to the analytic count of the pass, and
     * their times with the rest to the profiled pass.
     */
    @Test
    void breakdownAccountsForTheWholePass() throws Exception {
        List<JsonNode> out = lines(CliRun.of("bench", "unet", "--arch", "tiny", "--latent", "8", "--warmup", "1",
                "--peak-gflops", "100", "--breakdown"));
        assertCommon(out.get(0), "unet_forward");
        List<JsonNode> ops = out.subList(1, out.size() - 1);
        JsonNode rest = out.get(out.size() - 1);
        assertThat(rest.get("op").asText()).isEqualTo("rest");
        assertThat(ops).isNotEmpty().allSatisfy(j -> {
            assertThat(j.get("what").asText()).isEqualTo("unet_forward_op");
            assertThat(j.get("calls").asLong()).isPositive();
        });
        assertThat(ops).extracting(j -> j.get("op").asText()).contains("conv3x3", "linear", "attention", "group_norm", "layer_norm");
        List<Double> ms = ops.stream().map(j -> j.get("ms").asDouble()).toList();
        assertThat(ms).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        double gflop = ops.stream().mapToDouble(j -> j.has("gflop") ? j.get("gflop").asDouble() : 0).sum();
        assertThat(gflop).isCloseTo(out.get(0).get("gflop").asDouble(), org.assertj.core.data.Percentage.withPercentage(0.1));
        double total = ms.stream().mapToDouble(Double::doubleValue).sum() + rest.get("ms").asDouble();
        assertThat(total).isCloseTo(rest.get("pass_ms").asDouble(), org.assertj.core.data.Percentage.withPercentage(1));
    }

    @Test
    void breakdownRefusesWhatItCannotSee() {
        for (String[] args : new String[][]{
                {"bench", "train", "--arch", "tiny", "--latent", "8", "--breakdown"},
                {"bench", "unet", "--arch", "tiny", "--latent", "8", "--breakdown", "--memory"}}) {
            CliRun r = CliRun.of(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).contains("--breakdown");
        }
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

    @Test
    void memoryModeMeasuresOnePassOfEachWorkload() throws Exception {
        JsonNode vae = lines(CliRun.of("bench", "vae-decode", "--arch", "tiny", "--latent", "32", "--vae-tiling", "on", "--memory")).get(0);
        assertThat(vae.get("what").asText()).isEqualTo("vae_decode_tiled");
        assertThat(vae.get("measure").asText()).isEqualTo("memory");
        assertThat(vae.get("latent").asInt()).isEqualTo(32);
        assertThat(vae.get("peak_rss_gib").asDouble()).isGreaterThanOrEqualTo(vae.get("rss_before_gib").asDouble());
        assertThat(vae.get("pass_gib").asDouble()).isCloseTo(vae.get("peak_rss_gib").asDouble() - vae.get("rss_before_gib").asDouble(),
                org.assertj.core.data.Offset.offset(1e-3));
        assertThat(vae.has("median_s")).as("no timing").isFalse();
        assertThat(vae.get("machine").get("cores").asInt()).isPositive();

        JsonNode unet = lines(CliRun.of("bench", "unet", "--arch", "tiny", "--latent", "8", "--attention", "sliced", "--memory")).get(0);
        assertThat(unet.get("what").asText()).isEqualTo("unet_forward");
        assertThat(unet.get("attention").asText()).isEqualTo("sliced");
        JsonNode untiled = lines(CliRun.of("bench", "vae-decode", "--arch", "tiny", "--latent", "8", "--warmup", "0")).get(0);
        assertCommon(untiled, "vae_decode");
        assertThat(untiled.has("gflop")).as("a VAE decode's work is not counted").isFalse();
    }

    @Test
    void memoryFlagsRefuseWhatDoesNotApply() {
        CliRun peak = CliRun.of("bench", "peak", "--memory");
        assertThat(peak.code()).isEqualTo(2);
        assertThat(peak.err()).contains("--memory does not apply to peak");
        CliRun attention = CliRun.of("bench", "unet", "--arch", "tiny", "--attention", "flash");
        assertThat(attention.code()).isEqualTo(2);
        assertThat(attention.err()).contains("--attention 'flash' is not an attention mode (expected auto, fused, sliced or full)");
    }
}
