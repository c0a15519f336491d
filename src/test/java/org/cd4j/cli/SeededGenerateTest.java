package org.cd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.io.Png;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Same seed, same image": each case of refs/tiny-sd1/seeded/cases.json is run through the real
 * command line ({@code cd4j generate ... --save-tensor}) and must reproduce diffusers' decoded
 * images within 1e-3. The seed drives the initial latents and, for euler-a, every step's noise.
 */
class SeededGenerateTest {
    @TempDir
    Path tmp;

    static Stream<JsonNode> cases() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Fixtures.path("refs/tiny-sd1/seeded/cases.json").toFile());
        List<JsonNode> out = new ArrayList<>();
        root.forEach(out::add);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reproducesDiffusersImages(JsonNode c) throws Exception {
        List<String> args = new ArrayList<>();
        for (JsonNode a : c.get("args")) {
            args.add(a.asText().equals("MODEL") ? Fixtures.path(c.get("model").asText()).toString() : a.asText());
        }
        Path tensor = tmp.resolve("images.safetensors");
        Path png = tmp.resolve("out.png");
        args.addAll(List.of("--save-tensor", tensor.toString(), "--output", png.toString()));
        int code = Main.run(args.toArray(new String[0]));
        assertThat(code).isZero();
        try (SafetensorsFile got = SafetensorsFile.open(tensor);
             SafetensorsFile want = SafetensorsFile.open(Fixtures.path("refs/tiny-sd1/seeded/" + c.get("case").asText() + ".safetensors"))) {
            double diff = Tensors.maxAbsDiff(got.tensor("images"), want.tensor("images"));
            assertThat(diff).as("max |diff| of decoded images").isLessThanOrEqualTo(1e-3);
        }
        int n = c.get("shape").get(0).asInt();
        Path first = n == 1 ? png : tmp.resolve("out-0.png");
        assertThat(first).exists();
        Map<String, String> text = Png.readText(first);
        int seedIdx = args.indexOf("--seed");
        assertThat(text).containsEntry("seed", args.get(seedIdx + 1)).containsEntry("prompt", args.get(args.indexOf("--prompt") + 1));
        assertThat(Files.size(first)).isPositive();
    }
}
