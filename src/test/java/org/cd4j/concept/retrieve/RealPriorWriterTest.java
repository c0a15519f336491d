package org.cd4j.concept.retrieve;

import org.cd4j.concept.data.ClassImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The layout's writer: exact files, nothing overwritten without asking, nothing half-written. */
class RealPriorWriterTest {
    @TempDir
    Path tmp;

    private static List<RealPriorWriter.Entry> stage(RealPriorWriter w, String... captions) throws IOException {
        List<RealPriorWriter.Entry> out = new java.util.ArrayList<>();
        for (int i = 0; i < captions.length; i++) {
            Path f = Files.write(w.staging().resolve("r" + i), FakeKnnServer.png(4, 4, i));
            out.add(new RealPriorWriter.Entry(f, "png", captions[i], "http://example.org/" + i + ".png"));
        }
        return out;
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTheLayoutLineByLine() throws IOException {
        Path out = tmp.resolve("set");
        try (RealPriorWriter w = RealPriorWriter.open(out, false)) {
            w.commit(stage(w, "a cat", "two\nlines", ""));
        }
        assertThat(names(out)).containsExactly("caption.txt", "images", "images.txt", "urls.txt");
        assertThat(Files.readString(out.resolve("images.txt"))).isEqualTo("images/0.png\nimages/1.png\nimages/2.png\n");
        assertThat(Files.readString(out.resolve("caption.txt"))).isEqualTo("a cat\ntwo lines\n\n");
        assertThat(Files.readString(out.resolve("urls.txt"))).isEqualTo("http://example.org/0.png\nhttp://example.org/1.png\nhttp://example.org/2.png\n");
        assertThat(Files.readAllBytes(out.resolve("images/1.png"))).isEqualTo(FakeKnnServer.png(4, 4, 1));
        assertThat(ClassImages.realPrior(out, 10).size()).isEqualTo(3);
    }

    @Test
    void refusesAFolderWithFilesUnlessOverwritingAndThenReplacesOnlyTheSet() throws IOException {
        Path out = tmp.resolve("set");
        try (RealPriorWriter w = RealPriorWriter.open(out, false)) {
            w.commit(stage(w, "old 1", "old 2", "old 3"));
        }
        Files.writeString(out.resolve("notes.md"), "mine");
        assertThatThrownBy(() -> RealPriorWriter.open(out, false)).isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(out.toString());
        try (RealPriorWriter w = RealPriorWriter.open(out, true)) {
            w.commit(stage(w, "new"));
        }
        assertThat(Files.readAllLines(out.resolve("caption.txt"))).containsExactly("new");
        assertThat(names(out.resolve("images"))).as("the old pictures are gone with the old set").containsExactly("0.png");
        assertThat(Files.readString(out.resolve("notes.md"))).isEqualTo("mine");
        assertThat(names(out)).containsExactly("caption.txt", "images", "images.txt", "notes.md", "urls.txt");
    }

    @Test
    void aFolderWithOnlyHiddenFilesCountsAsEmptyAndAFileIsRefused() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("web-set"));
        Files.writeString(out.resolve(".dataset.json"), "{}");
        try (RealPriorWriter w = RealPriorWriter.open(out, false)) {
            w.commit(stage(w, "a"));
        }
        assertThat(names(out)).containsExactly(".dataset.json", "caption.txt", "images", "images.txt", "urls.txt");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> RealPriorWriter.open(file, true)).isInstanceOf(NotDirectoryException.class);
    }

    @Test
    void anAbandonedRunLeavesTheOldSetAndNoStaging() throws IOException {
        Path out = tmp.resolve("set");
        try (RealPriorWriter w = RealPriorWriter.open(out, false)) {
            w.commit(stage(w, "kept"));
        }
        try (RealPriorWriter w = RealPriorWriter.open(out, true)) {
            stage(w, "never written", "either");
            // no commit: e.g. the download failed or was cancelled
        }
        assertThat(names(out)).containsExactly("caption.txt", "images", "images.txt", "urls.txt");
        assertThat(Files.readAllLines(out.resolve("caption.txt"))).containsExactly("kept");
        // a run killed outright leaves its staging folder; the next run clears it
        Files.createDirectories(out.resolve(RealPriorWriter.STAGING).resolve("junk"));
        try (RealPriorWriter w = RealPriorWriter.open(out, true)) {
            assertThat(names(w.staging())).isEmpty();
        }
        assertThat(Files.exists(out.resolve(RealPriorWriter.STAGING))).isFalse();
    }

    @Test
    void captionsAndAddressesHoldNoLineBreakPythonWouldSplitOn() {
        assertThat(Captions.clean(" a\r\nb\u2028c\u2029d\u0085e\u000bf\u000cg\u001ch\u001dj\u001ek\tl  ")).isEqualTo("a b c d e f g h j k l");
        assertThat(Captions.clean(null)).isEmpty();
        assertThat(Captions.orElse(" \n ", " cat ")).isEqualTo("cat");
        assertThat(Captions.orElse("a cat", "dog")).isEqualTo("a cat");
    }
}
