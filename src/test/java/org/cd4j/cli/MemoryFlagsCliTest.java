package org.cd4j.cli;

import org.cd4j.io.Png;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Parity;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cd4j generate --attention} and {@code --vae-tiling} on tiny-sd1 at 256 px (32×32 latents, two 16-cell tiles a side). */
class MemoryFlagsCliTest {
    @TempDir
    Path tmp;

    private Path generate(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", Fixtures.tinySd1().toString(), "--prompt", "a photo of a cat",
                "--seed", "7", "--steps", "2", "--height", "256", "--width", "256",
                "--output", tmp.resolve(name + ".png").toString(), "--save-tensor", tmp.resolve(name + ".safetensors").toString()));
        args.addAll(List.of(extra));
        CliRun r = CliRun.of(args.toArray(new String[0]));
        assertThat(r.code()).as(r.err()).isZero();
        return tmp.resolve(name);
    }

    @Test
    void everyAttentionModeGivesTheSameImageAndTilingIsRecorded() throws Exception {
        Path auto = generate("auto");
        Path full = generate("full", "--attention", "full");
        Path tiled = generate("tiled", "--vae-tiling", "on");
        try (SafetensorsFile a = SafetensorsFile.open(Path.of(auto + ".safetensors"));
             SafetensorsFile f = SafetensorsFile.open(Path.of(full + ".safetensors"));
             SafetensorsFile t = SafetensorsFile.open(Path.of(tiled + ".safetensors"))) {
            Parity.assertRelative("full vs fused attention", f.tensor("images"), a.tensor("images"), 1e-5);
            assertThat(org.cd4j.nn.Tensors.maxAbsDiff(t.tensor("images"), a.tensor("images"))).as("tiles decode apart").isGreaterThan(0);
        }
        assertThat(Png.readText(Path.of(tiled + ".png"))).containsEntry("vae_tiling", "on");
        assertThat(Png.readText(Path.of(auto + ".png"))).doesNotContainKey("vae_tiling");
    }

    @Test
    void badModesAreUsageErrors() {
        CliRun r = CliRun.of("generate", "--model", Fixtures.tinySd1().toString(), "--prompt", "x", "--vae-tiling", "yes");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--vae-tiling 'yes' is not a VAE tiling mode (expected auto, on or off)");
    }
}
