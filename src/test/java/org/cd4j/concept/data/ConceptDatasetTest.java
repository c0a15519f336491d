package org.cd4j.concept.data;

import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConceptDatasetTest {
    static final Path DATA = ClassImagesTest.DATA;
    static final Concept POT = new Concept("photo of a <new1> wooden pot", "wooden pot", DATA.resolve("pot/instance"),
            DATA.resolve("pot/class"));
    static final Concept BALL = new Concept("<new2> ball", "ball", DATA.resolve("ball/instance"), DATA.resolve("ball/class"));

    @TempDir
    Path dir;

    static ConceptDataset.Options options(long seed) {
        return ConceptDataset.Options.of(new Augmentation(64, 8, false, true, false), seed)
                .withModifierTokens(List.of("<new1>", "<new2>"));
    }

    @Test
    void followsTheReferenceIndexing() throws IOException {
        ConceptDataset ds = ConceptDataset.build(List.of(POT), options(42).withPrior(true, 5));
        assertThat(ds.instances()).hasSize(8);
        assertThat(ds.classImages()).hasSize(5);
        assertThat(ds.size()).as("max(#class, #instance)").isEqualTo(8);
        List<Path> sorted = ImageFiles.listImages(POT.instanceDataDir());
        assertThat(ds.instances()).extracting(CaptionedImage::path).containsExactlyInAnyOrderElementsOf(sorted);
        assertThat(ds.instances()).extracting(CaptionedImage::path).as("shuffled once").isNotEqualTo(sorted);
        for (int i = 0; i < ds.size(); i++) {
            ConceptDataset.Item it = ds.get(0, i);
            assertThat(it.instance().source()).isEqualTo(ds.instances().get(i % 8).path());
            assertThat(it.prior().source()).isEqualTo(ds.classImages().get(i % 5).path());
            assertThat(it.prior().prompt()).isEqualTo(ds.classImages().get(i % 5).caption());
            assertThat(it.instance().prompt()).endsWith("photo of a <new1> wooden pot");
            assertThat(it.instance().pixels()).hasSize(3 * 64 * 64);
            assertThat(it.prior().mask()).hasSize(64).containsOnly(1f);
        }
        ConceptDataset again = ConceptDataset.build(List.of(POT), options(42).withPrior(true, 5));
        assertThat(again.instances()).isEqualTo(ds.instances());
        assertThat(again.get(3, 6).instance().pixels()).isEqualTo(ds.get(3, 6).instance().pixels());
        assertThat(again.get(3, 6).prior().pixels()).isEqualTo(ds.get(3, 6).prior().pixels());
        ConceptDataset other = ConceptDataset.build(List.of(POT), options(43).withPrior(true, 5));
        assertThat(other.instances()).isNotEqualTo(ds.instances());
    }

    @Test
    void joinsConceptsAndTruncatesEachClassSet() throws IOException {
        ConceptDataset ds = ConceptDataset.build(List.of(POT, BALL), options(1).withPrior(true, 3));
        assertThat(ds.instances()).hasSize(16);
        assertThat(ds.classImages()).hasSize(6);
        assertThat(ds.classImages().subList(0, 3)).extracting(CaptionedImage::caption)
                .containsExactly("wooden pot on a table", "a wooden pot", "clay pot");
        assertThat(ds.classImages().subList(3, 6)).extracting(CaptionedImage::caption)
                .containsExactly("a red ball on the grass", "a ball", "a ball");
        assertThat(ds.size()).isEqualTo(16);
        for (CaptionedImage c : ds.instances()) {
            boolean pot = c.path().startsWith(POT.instanceDataDir());
            assertThat(c.caption()).isEqualTo(pot ? POT.instancePrompt() : BALL.instancePrompt());
        }
        ConceptDataset noPrior = ConceptDataset.build(List.of(POT), options(1));
        assertThat(noPrior.size()).isEqualTo(8);
        assertThat(noPrior.classImages()).isEmpty();
        assertThat(noPrior.get(0, 7).prior()).isNull();
    }

    @Test
    void promptsMustHoldAModifierToken() {
        Concept plain = new Concept("photo of a wooden pot", "pot", POT.instanceDataDir(), null);
        assertThatThrownBy(() -> ConceptDataset.build(List.of(plain), options(1)))
                .hasMessage("the instance prompt \"photo of a wooden pot\" contains none of the modifier tokens <new1>, <new2>"
                        + " (expected e.g. \"photo of a <new1> cat\")");
        Concept leaky = new Concept("<new1> pot", "<new1> pot", POT.instanceDataDir(), null);
        assertThatThrownBy(() -> ConceptDataset.build(List.of(POT, leaky), options(1)))
                .hasMessageStartingWith("concept 2: the class prompt \"<new1> pot\" contains the modifier token <new1>");
    }

    @Test
    void badFoldersAreExplained() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no pictures");
        assertThatThrownBy(() -> ConceptDataset.build(List.of(Concept.instanceOnly("<new1>", empty)), options(1)))
                .isInstanceOf(FormatException.class).hasMessageStartingWith(empty + ": no instance pictures (expected files ending in");
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> ConceptDataset.build(List.of(Concept.instanceOnly("<new1>", missing)), options(1)))
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        Concept noClass = new Concept("<new1> pot", "pot", POT.instanceDataDir(), null);
        assertThatThrownBy(() -> ConceptDataset.build(List.of(noClass), options(1).withPrior(true, 4)))
                .hasMessageContaining("prior preservation needs a class data folder");
    }

    /** A copy of the pot instance folder plus one broken picture. */
    private Path withBrokenPicture() throws IOException {
        Path inst = Files.createDirectories(dir.resolve("inst"));
        for (Path p : ImageFiles.listImages(POT.instanceDataDir()).subList(0, 3)) Files.copy(p, inst.resolve(p.getFileName()));
        byte[] png = Files.readAllBytes(inst.resolve("00.png"));
        Files.write(inst.resolve("01b-broken.png"), java.util.Arrays.copyOf(png, png.length / 3));
        return inst;
    }

    @Test
    void corruptPicturesAreRefusedOrSkipped() throws IOException {
        Path inst = withBrokenPicture();
        Path broken = inst.resolve("01b-broken.png");
        Concept c = Concept.instanceOnly("<new1> pot", inst);
        assertThatThrownBy(() -> ConceptDataset.build(List.of(c), options(1)))
                .isInstanceOf(FormatException.class).hasMessageStartingWith(broken + ": not a readable image");
        List<String> warnings = new ArrayList<>();
        ConceptDataset ds = ConceptDataset.build(List.of(c), options(1).withCorruptImages(CorruptImagePolicy.SKIP, warnings::add));
        assertThat(ds.instances()).hasSize(3).extracting(CaptionedImage::path).doesNotContain(broken);
        for (int e = 0; e < 3; e++) for (int i = 0; i < ds.size(); i++) ds.get(e, i);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).startsWith("skipping " + broken + ": not a readable image");
        Path allBad = Files.createDirectories(dir.resolve("bad"));
        Files.copy(broken, allBad.resolve("x.png"));
        assertThatThrownBy(() -> ConceptDataset.build(List.of(Concept.instanceOnly("<new1>", allBad)),
                options(1).withCorruptImages(CorruptImagePolicy.SKIP, warnings::add)))
                .hasMessageContaining("none of the instance pictures is readable");
    }
}
