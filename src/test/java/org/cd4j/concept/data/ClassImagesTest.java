package org.cd4j.concept.data;

import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClassImagesTest {
    static final Path DATA = Path.of("src/test/resources/fixtures/custom_diffusion/data");

    @TempDir
    Path dir;

    @Test
    void readsTheRealPriorFixture() throws IOException {
        Path cls = DATA.resolve("pot/class");
        ClassImages set = ClassImages.open(cls, "wooden pot", 200);
        assertThat(set.isRealPrior()).isTrue();
        assertThat(set.size()).isEqualTo(8);
        List<String> captions = Files.readAllLines(cls.resolve("caption.txt"));
        for (int i = 0; i < 8; i++) {
            CaptionedImage it = set.items().get(i);
            // images.txt says class/images/i.jpg, relative to the concept folder (the parent)
            assertThat(it.path()).isEqualTo(cls.resolve("images/" + i + ".jpg").toAbsolutePath().normalize());
            assertThat(it.caption()).isEqualTo(captions.get(i));
            assertThat(it.origin()).endsWith("images.txt line " + (i + 1));
            assertThat(Files.isRegularFile(it.path())).isTrue();
        }
        assertThat(set.items().get(0).caption()).isEqualTo("wooden pot on a table");
        assertThat(ClassImages.open(cls, null, 3).size()).as("truncated to num_class_images").isEqualTo(3);
        assertThat(ClassImages.open(cls.resolve("images.txt"), null, 200).size()).as("images.txt given directly").isEqualTo(8);
        assertThat(ClassImages.open(DATA.resolve("ball/class"), null, 200).items().get(5).caption()).isEqualTo("a ball on a table");
        assertThat(ClassImages.countImages(cls)).as("a real-prior set counts its list").isEqualTo(8);
    }

    private Path realPrior(String images, String captions, String urls) throws IOException {
        Path d = dir.resolve("class");
        Files.createDirectories(d.resolve("images"));
        for (int i = 0; i < 3; i++) Files.write(d.resolve("images/" + i + ".jpg"), new byte[] {1});
        Files.writeString(d.resolve("images.txt"), images);
        if (captions != null) Files.writeString(d.resolve("caption.txt"), captions);
        if (urls != null) Files.writeString(d.resolve("urls.txt"), urls);
        return d;
    }

    @Test
    void resolvesPathsAgainstTheFolderItsParentOrAsGiven() throws IOException {
        Path d = realPrior("images/0.jpg\r\nclass/images/1.jpg\n" + dir.resolve("class/images/2.jpg").toAbsolutePath() + "\n",
                "a\nb\nc\n", null);
        ClassImages set = ClassImages.realPrior(d, 10);
        assertThat(set.items()).extracting(CaptionedImage::caption).containsExactly("a", "b", "c");
        for (int i = 0; i < 3; i++) {
            assertThat(set.items().get(i).path()).isEqualTo(d.resolve("images/" + i + ".jpg").toAbsolutePath().normalize());
        }
    }

    @Test
    void mismatchedListsAreErrors() throws IOException {
        Path d = realPrior("images/0.jpg\nimages/1.jpg\n", "only one caption\n", null);
        assertThatThrownBy(() -> ClassImages.realPrior(d, 10)).isInstanceOf(FormatException.class)
                .hasMessageContaining("images.txt has 2 lines but caption.txt has 1");
        Files.writeString(d.resolve("caption.txt"), "a\nb\n");
        Files.writeString(d.resolve("urls.txt"), "u\n");
        assertThatThrownBy(() -> ClassImages.realPrior(d, 10)).hasMessageContaining("images.txt has 2 lines but urls.txt has 1");
        Files.delete(d.resolve("caption.txt"));
        assertThatThrownBy(() -> ClassImages.realPrior(d, 10)).hasMessageContaining("caption.txt")
                .hasMessageContaining("missing");
        Files.writeString(d.resolve("caption.txt"), "a\nb\n");
        Files.writeString(d.resolve("urls.txt"), "u\nv\n");
        Files.writeString(d.resolve("images.txt"), "images/0.jpg\nimages/9.jpg\n");
        assertThatThrownBy(() -> ClassImages.realPrior(d, 10)).hasMessageContaining("images.txt: line 2: images/9.jpg not found");
    }

    @Test
    void folderOfPicturesUsesTheClassPrompt() throws IOException {
        Path d = dir.resolve("gen");
        Files.createDirectories(d);
        for (String n : List.of("10-b.jpg", "2-a.jpg", "notes.txt", ".x.jpg")) Files.write(d.resolve(n), new byte[] {1});
        ClassImages set = ClassImages.open(d, "pot", 200);
        assertThat(set.isRealPrior()).isFalse();
        assertThat(set.items()).extracting(c -> c.path().getFileName().toString()).containsExactly("2-a.jpg", "10-b.jpg");
        assertThat(set.items()).extracting(CaptionedImage::caption).containsOnly("pot");
        assertThat(ClassImages.open(d, "pot", 1).size()).isEqualTo(1);
        assertThat(ClassImages.countImages(d)).isEqualTo(2);
        assertThat(ClassImages.countImages(dir.resolve("absent"))).isZero();
        assertThatThrownBy(() -> ClassImages.open(d, null, 5)).hasMessageContaining("needs a class prompt");
    }

    @Test
    void savesGeneratedPicturesUnderTheReferenceName() throws IOException {
        BufferedImage img = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 16; x++) img.setRGB(x, 3, 0x336699);
        byte[] rgb = RgbImage.of(img).data();
        Path d = dir.resolve("gen");
        Path f = ClassImages.saveGenerated(d, 7, img);
        assertThat(f.getFileName().toString()).isEqualTo("7-" + ClassImages.sha1(rgb) + ".jpg");
        assertThat(ClassImages.sha1("abc".getBytes())).isEqualTo("a9993e364706816aba3e25717850c26c9cd0d89d");
        BufferedImage back = ImageFiles.read(f);
        assertThat(back.getWidth()).isEqualTo(16);
        assertThat(Math.abs(((back.getRGB(4, 3) >> 8) & 0xFF) - 0x66)).isLessThan(12);
        assertThat(ClassImages.saveGenerated(d, 7, img)).isEqualTo(f); // same pixels: kept, no error
        try (var s = Files.list(d)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(f.getFileName().toString()); // no temp files
        }
        assertThat(ClassImages.open(d, "pot", 10).size()).isEqualTo(1);
    }
}
