package org.cd4j.cli;

import org.cd4j.io.Png;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cd4j generate --delta}: the concept changes the image and is recorded in the PNG. */
class GenerateDeltaTest {
    @TempDir
    Path tmp;

    private int generate(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", Fixtures.tinySd1().toString(),
                "--prompt", "a photo of <new1> pot", "--seed", "7", "--steps", "2", "--height", "64", "--width", "64",
                "--output", tmp.resolve(name + ".png").toString(), "--save-tensor", tmp.resolve(name + ".safetensors").toString()));
        args.addAll(List.of(extra));
        return Main.run(args.toArray(new String[0]));
    }

    @Test
    void deltaChangesTheImageAndIsRecorded() throws Exception {
        Path delta = Fixtures.path("custom_diffusion/diffusers_train");
        assertThat(generate("base")).isZero();
        assertThat(generate("concept", "--delta", delta.toString())).isZero();
        try (SafetensorsFile a = SafetensorsFile.open(tmp.resolve("base.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(tmp.resolve("concept.safetensors"))) {
            assertThat(Tensors.maxAbsDiff(a.tensor("images"), b.tensor("images"))).isGreaterThan(1e-4);
        }
        Map<String, String> text = Png.readText(tmp.resolve("concept.png"));
        assertThat(text).containsEntry("deltas", "diffusers_train");
        assertThat(text.get("parameters")).contains("Deltas: diffusers_train");
        assertThat(Png.readText(tmp.resolve("base.png"))).doesNotContainKey("deltas");
    }

    @Test
    void twoConflictingDeltasAndMissingDeltaFail() {
        Path a = Fixtures.path("custom_diffusion/diffusers_train");
        Path b = Fixtures.path("custom_diffusion/adobe_train/delta.bin");
        assertThat(generate("x", "--delta", a.toString(), "--delta", b.toString())).isEqualTo(1);
        assertThat(tmp.resolve("x.png")).doesNotExist();
        assertThat(generate("y", "--delta", tmp.resolve("nope.bin").toString())).isEqualTo(2);
    }
}
