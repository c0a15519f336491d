package org.cd4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo's and the quality study's bad input: refused before any work, naming the flag. */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void refusesBadCountsAndAFolderThatHoldsSomething() throws Exception {
        CliRun r = CliRun.of("demo", "--max-train-steps", "0", "--output", tmp.resolve("d").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--max-train-steps must be at least 1, got 0");

        r = CliRun.of("quality", "--num-images", "1", "--output", tmp.resolve("q").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--num-images must be at least 2, got 1");

        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep");
        r = CliRun.of("demo", "--output", mine.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--output " + mine + " exists and is not empty");
        assertThat(mine.resolve("notes.txt")).hasContent("keep");
    }
}
