package org.cd4j.cli;

import org.bytedeco.pytorch.global.torch;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code --device} on generate, train and bench: an unknown name or a CUDA device this build
 * cannot use is a usage error with the reason, before any work and before anything is replaced.
 */
class DeviceFlagTest {
    @TempDir
    Path tmp;

    @Test
    void anUnknownDeviceIsAUsageError() {
        CliRun r = CliRun.of("generate", "--model", Fixtures.tinySd1().toString(), "--prompt", "x", "--device", "gpu",
                "--output", tmp.resolve("a.png").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown device 'gpu'").contains("cpu, cuda or cuda:N").doesNotContain("at org.cd4j");
        assertThat(tmp.resolve("a.png")).doesNotExist();
    }

    @Test
    void cudaOnACpuBuildIsRefusedBeforeAnyWork() throws Exception {
        assumeFalse(torch.hasCUDA(), "this libtorch has CUDA");
        CliRun gen = CliRun.of("generate", "--model", Fixtures.tinySd1().toString(), "--prompt", "x", "--device", "cuda",
                "--output", tmp.resolve("a.png").toString());
        assertThat(gen.code()).isEqualTo(2);
        assertThat(gen.err()).contains("--device cuda").contains("CPU-only libtorch").contains("mvn -Pcuda");
        assertThat(tmp.resolve("a.png")).doesNotExist();

        // an earlier run in --output survives, although --overwrite was given
        Path out = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(out.resolve("config.json"), "{}");
        CliRun train = CliRun.of("train", "--model", Fixtures.tinySd1().toString(), "--output", out.toString(), "--overwrite",
                "--instance-data-dir", Fixtures.path("custom_diffusion/data/pot/instance").toString(),
                "--instance-prompt", "photo of a <new1> pot", "--modifier-token", "<new1>", "--device", "cuda:0");
        assertThat(train.code()).isEqualTo(2);
        assertThat(train.err()).contains("--device cuda:0");
        assertThat(Files.readString(out.resolve("config.json"))).isEqualTo("{}");

        CliRun bench = CliRun.of("bench", "unet", "--arch", "tiny", "--device", "cuda");
        assertThat(bench.code()).isEqualTo(2);
        assertThat(bench.out()).isEmpty();
    }
}
