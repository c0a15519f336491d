package org.cd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code cd4j tokenize} against the public CLIP reference tokenizations, and its prompts-file format. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    static List<String> run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).isZero();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8).lines().toList();
    }

    static Path clip() throws Exception {
        return Path.of(TokenizeCommandTest.class.getResource("/clip-tokenizer/vocab.json").toURI()).getParent();
    }

    @Test
    void printsTheReferenceTokenizationsOfAPromptsFile() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> refs = Files.readAllLines(clip().resolve("reference-tokenizations.jsonl"));
        // every reference prompt as a JSON line, so prompts with newlines survive
        Path file = tmp.resolve("prompts.txt");
        StringBuilder sb = new StringBuilder();
        for (String line : refs) sb.append(json.writeValueAsString(json.readTree(line).get("prompt").asText())).append('\n');
        Files.writeString(file, sb.toString());
        List<String> out = run("tokenize", "--tokenizer", clip().toString(), "--prompts-file", file.toString());
        assertThat(out).hasSize(refs.size());
        for (int i = 0; i < refs.size(); i++) {
            JsonNode want = json.readTree(refs.get(i));
            JsonNode got = json.readTree(out.get(i));
            assertThat(got.get("prompt")).isEqualTo(want.get("prompt"));
            assertThat(got.get("input_ids")).isEqualTo(want.get("input_ids"));
            assertThat(got.get("unpadded")).isEqualTo(want.get("unpadded"));
        }
    }

    @Test
    void addsTokensAndReadsPlainStringAndObjectLines() throws Exception {
        Path file = tmp.resolve("p.txt");
        Files.writeString(file, "a <new1> cat\n\"a\\t<new2>\\ndog\"\n{\"prompt\": \"photo of a <new1>\"}\n");
        List<String> out = run("tokenize", "--model", Fixtures.tinySd1().toString(), "--add-tokens", "<new1>+<new2>",
                "--prompts-file", file.toString());
        ObjectMapper json = new ObjectMapper();
        assertThat(out).hasSize(3);
        assertThat(json.readTree(out.get(0)).get("unpadded").toString()).isEqualTo("[1317,320,1319,571,1318]");
        assertThat(json.readTree(out.get(1)).get("prompt").asText()).isEqualTo("a\t<new2>\ndog");
        assertThat(json.readTree(out.get(1)).get("unpadded").toString()).isEqualTo("[1317,320,1320,576,1318]");
        assertThat(json.readTree(out.get(2)).get("input_ids")).hasSize(77);
    }

    @Test
    void badPromptsFileLineIsAUsageError() throws Exception {
        Path file = tmp.resolve("bad.txt");
        Files.writeString(file, "ok\n{\"text\": 1}\n");
        assertThat(Main.run(new java.io.PrintWriter(new java.io.StringWriter()), "tokenize", "--tokenizer", clip().toString(),
                "--prompts-file", file.toString())).isEqualTo(2);
    }
}
