package org.cd4j.concept.retrieve;

import org.cd4j.concept.data.ClassImages;
import org.cd4j.io.FormatException;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Offline retrieval from a local collection: both collection layouts, and the copy of the top N
 * by caption similarity on tiny-sd1. Captions equal to the class prompt score exactly 1, so the
 * top of the ranking is known without trusting the random model's semantics; below them the
 * order is {@link CaptionRankerTest}'s, checked against the reference.
 */
class CollectionRetrievalTest {
    static final Path POT = Fixtures.path("custom_diffusion/data/pot/class");
    static CaptionRanker ranker;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        ranker = CaptionRanker.load(Fixtures.tinySd1());
    }

    static Retrieval.Target target(Path out, int n) {
        return new Retrieval.Target("clay pot", out, false, new ImageCollector.Options(n, 2, 1_000_000));
    }

    /** Pictures with caption files, nested, plus every kind of left-out or bad entry. */
    Path besideFiles() throws IOException {
        Path c = tmp.resolve("collection");
        Files.createDirectories(c.resolve("a"));
        Files.createDirectories(c.resolve("b/c"));
        Files.createDirectories(c.resolve(".hidden"));
        Files.copy(POT.resolve("images/0.jpg"), c.resolve("a/0.jpg"));
        Files.writeString(c.resolve("a/0.txt"), "wooden pot on a table");
        Files.copy(POT.resolve("images/1.jpg"), c.resolve("b/c/1.jpg"));
        Files.writeString(c.resolve("b/c/1.txt"), "\uFEFFclay\r\npot\n");
        Files.copy(POT.resolve("images/2.jpg"), c.resolve("2.jpg")); // no caption file
        Files.copy(POT.resolve("images/3.jpg"), c.resolve("3.jpg"));
        Files.writeString(c.resolve("3.txt"), "  \n"); // an empty caption
        Files.copy(POT.resolve("images/4.jpg"), c.resolve(".hidden/4.jpg"));
        Files.writeString(c.resolve(".hidden/4.txt"), "clay pot");
        Files.write(c.resolve("5.png"), "not a picture at all".getBytes());
        Files.writeString(c.resolve("5.txt"), "clay pot");
        Files.copy(POT.resolve("images/1.jpg"), c.resolve("dup.jpg"));
        Files.writeString(c.resolve("dup.txt"), "clay pot");
        return c;
    }

    @Test
    void readsCaptionFilesBesideTheirPicturesInPathOrder() throws IOException {
        Path c = besideFiles();
        LocalCollection col = LocalCollection.read(c);
        assertThat(col.items()).extracting(Candidate::file).containsExactly(c.resolve("5.png"), c.resolve("a/0.jpg"),
                c.resolve("b/c/1.jpg"), c.resolve("dup.jpg"));
        assertThat(col.captions()).containsExactly("clay pot", "wooden pot on a table", "clay pot", "clay pot");
        assertThat(col.items().get(1).url()).isEqualTo(c.resolve("a/0.jpg").toUri().toString());
        assertThat(col.uncaptioned()).as("2.jpg has no caption file, 3.txt is empty").isEqualTo(2);
    }

    @Test
    void readsAListedCollectionWithItsAddresses() throws IOException {
        LocalCollection col = LocalCollection.read(POT);
        assertThat(col.items()).hasSize(8);
        assertThat(col.captions().get(0)).isEqualTo("wooden pot on a table");
        assertThat(col.items().get(3).url()).isEqualTo(Files.readAllLines(POT.resolve("urls.txt")).get(3));
        assertThat(col.items().get(3).file()).isEqualTo(POT.resolve("images/3.jpg").toAbsolutePath().normalize());
    }

    @Test
    void aFolderWithoutCaptionsIsAnErrorNamingIt() throws IOException {
        Path c = Files.createDirectories(tmp.resolve("bare"));
        Files.copy(POT.resolve("images/0.jpg"), c.resolve("0.jpg"));
        assertThatThrownBy(() -> LocalCollection.read(c)).isInstanceOf(FormatException.class)
                .hasMessageStartingWith(c.toString()).hasMessageContaining("no captioned picture")
                .hasMessageContaining("1 picture(s) have no caption file");
        assertThatThrownBy(() -> LocalCollection.read(tmp.resolve("nope"))).hasMessageContaining("no such folder");
    }

    @Test
    void copiesTheCaptionsNearestTheClassPrompt() throws Exception {
        Path out = tmp.resolve("set");
        Retrieval.Outcome o = Retrieval.fromCollection(LocalCollection.read(POT), ranker, 1 << 20, target(out, 3), RetrievalListener.NONE);
        assertThat(o.written()).isEqualTo(3);
        assertThat(Files.readAllLines(out.resolve("caption.txt"))).containsExactly("clay pot", "clay pot", "clay pot");
        List<String> urls = Files.readAllLines(POT.resolve("urls.txt"));
        assertThat(Files.readAllLines(out.resolve("urls.txt"))).containsExactly(urls.get(2), urls.get(4), urls.get(7));
        assertThat(Files.readAllLines(out.resolve("images.txt"))).containsExactly("images/0.jpg", "images/1.jpg", "images/2.jpg");
        for (int i = 0; i < 3; i++) {
            int src = new int[]{2, 4, 7}[i];
            assertThat(Files.readAllBytes(out.resolve("images/" + i + ".jpg"))).isEqualTo(Files.readAllBytes(POT.resolve("images/" + src + ".jpg")));
        }
        assertThat(ClassImages.open(out, null, 200).size()).isEqualTo(3);
    }

    @Test
    void passesOverBrokenAndDuplicatePictures() throws Exception {
        Path c = besideFiles();
        Path out = tmp.resolve("set2");
        Retrieval.Outcome o = Retrieval.fromCollection(LocalCollection.read(c), ranker, 1 << 20, target(out, 2), RetrievalListener.NONE);
        // "clay pot" x3 score 1 in collection order: 5.png (not a picture), b/c/1.jpg, dup.jpg (same pixels); then a/0.jpg
        assertThat(Files.readAllLines(out.resolve("caption.txt"))).containsExactly("clay pot", "wooden pot on a table");
        assertThat(Files.readAllBytes(out.resolve("images/0.jpg"))).isEqualTo(Files.readAllBytes(c.resolve("b/c/1.jpg")));
        assertThat(Files.readAllBytes(out.resolve("images/1.jpg"))).isEqualTo(Files.readAllBytes(c.resolve("a/0.jpg")));
        assertThat(Files.readAllLines(out.resolve("urls.txt"))).containsExactly(c.resolve("b/c/1.jpg").toUri().toString(),
                c.resolve("a/0.jpg").toUri().toString());
        assertThat(o.details().failures()).containsExactlyEntriesOf(Map.of("not a picture", 1));
        assertThat(o.details().duplicates()).isEqualTo(1);
    }

    @Test
    void aFileLargerThanTheLimitIsPassedOver() throws Exception {
        Path out = tmp.resolve("set3");
        long limit = Files.size(POT.resolve("images/4.jpg")) - 1; // 2.jpg and 7.jpg, the other "clay pot"s, are smaller
        Retrieval.Outcome o = Retrieval.fromCollection(LocalCollection.read(POT), ranker, limit, target(out, 2), RetrievalListener.NONE);
        assertThat(o.details().failures()).containsExactlyEntriesOf(Map.of("larger than " + limit + " bytes", 1));
        assertThat(Files.readAllBytes(out.resolve("images/1.jpg"))).isEqualTo(Files.readAllBytes(POT.resolve("images/7.jpg")));
    }
}
