package org.cd4j.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cd4j.concept.data.ClassImages;
import org.cd4j.io.ImageFiles;
import org.cd4j.io.Png;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldExportTest {
    @TempDir
    Path tmp;

    @Test
    void datasetRoundTripsInTheRealPriorLayout() throws Exception {
        World w = new World(4);
        Path dir = tmp.resolve("data");
        WorldExport.writeDataset(w, dir, 5);
        List<String> paths = Files.readAllLines(dir.resolve(ClassImages.IMAGES_TXT));
        List<String> captions = Files.readAllLines(dir.resolve(ClassImages.CAPTION_TXT));
        assertThat(paths).containsExactly("images/000000.png", "images/000001.png", "images/000002.png",
                "images/000003.png", "images/000004.png");
        for (int i = 0; i < 5; i++) {
            Sample s = w.pretrainingSample(i);
            assertThat(captions.get(i)).isEqualTo(s.caption());
            Path png = dir.resolve(paths.get(i));
            assertThat(WorldTest.pixels(ImageFiles.read(png))).isEqualTo(WorldTest.pixels(s.image()));
            assertThat(Png.readText(png)).containsEntry("caption", s.caption());
        }
        try (var files = Files.list(tmp)) {
            assertThat(files.toList()).containsExactly(dir); // no temporary folder left behind
        }
    }

    @Test
    void conceptViewsAreAFolderOfPictures() throws Exception {
        Path dir = tmp.resolve("cup");
        Files.createDirectories(dir); // an empty folder may be filled
        WorldExport.writeConcept(Concept.ZIGZAG_CUP, dir, 3);
        List<Path> images = ImageFiles.listImages(dir);
        assertThat(images).hasSize(3);
        assertThat(WorldTest.pixels(ImageFiles.read(images.get(2))))
                .isEqualTo(WorldTest.pixels(Concept.ZIGZAG_CUP.views(3).get(2).image()));
    }

    @Test
    void refusesToReplaceFilesUnlessTold() throws Exception {
        Path dir = tmp.resolve("prior");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("mine.txt"), "keep me");
        World w = new World(2);
        assertThatThrownBy(() -> WorldExport.writePrior(w, Category.BALL, dir, 2, 0, false))
                .isInstanceOf(DirectoryNotEmptyException.class).hasMessageContaining(dir.toString());
        assertThat(dir.resolve("mine.txt")).hasContent("keep me");
        WorldExport.writePrior(w, Category.BALL, dir, 2, 0, true);
        assertThat(dir.resolve("mine.txt")).doesNotExist();
        assertThat(ImageFiles.listImages(dir)).hasSize(2);
        Path file = tmp.resolve("file");
        Files.writeString(file, "x");
        assertThatThrownBy(() -> WorldExport.writeConcept(Concept.GIFT_BOX, file, 1, true))
                .hasMessageContaining("is a file");
        assertThatThrownBy(() -> WorldExport.writeConcept(Concept.GIFT_BOX, tmp.resolve("n"), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
