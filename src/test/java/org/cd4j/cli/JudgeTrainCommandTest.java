package org.cd4j.cli;

import org.cd4j.judge.Judge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class JudgeTrainCommandTest {
    @TempDir
    Path tmp;

    @Test
    void trainsWritesAndReportsAccuracy() throws Exception {
        Path out = tmp.resolve("judge.safetensors");
        CliRun r = CliRun.of("judge-train", "--output", out.toString(), "--steps", "1", "--eval-pictures", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Judge.load(out).parameterCount()).isEqualTo(new Judge().parameterCount());
        assertThat(r.out()).contains("| head (clean renders) | all | ordinary | concept | prior | near_miss |")
                .contains("| head (degraded renders) |").contains("| concept |");

        CliRun again = CliRun.of("judge-train", "--output", out.toString(), "--steps", "1", "--eval-pictures", "0");
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("--output " + out + " already exists (use --overwrite to replace it)");
        assertThat(CliRun.of("judge-train", "--output", out.toString(), "--steps", "1", "--eval-pictures", "0", "--overwrite").code()).isZero();
    }

    @Test
    void badFlagsAreUsageErrors() {
        CliRun bin = CliRun.of("judge-train", "--output", tmp.resolve("judge.bin").toString());
        assertThat(bin.code()).isEqualTo(2);
        assertThat(bin.err()).contains("the judge's weights are a .safetensors file");
        CliRun steps = CliRun.of("judge-train", "--output", tmp.resolve("j.safetensors").toString(), "--steps", "0");
        assertThat(steps.code()).isEqualTo(2);
        assertThat(steps.err()).contains("--steps must be at least 1, got 0");
        assertThat(Files.exists(tmp.resolve("j.safetensors"))).isFalse();
    }
}
