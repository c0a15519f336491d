package org.cd4j.world;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cd4j.io.Png;
import org.junit.jupiter.api.Test;

/**
 * Writes a contact sheet for people to look at: 64 pretraining samples (8 rows), then one row of
 * views per concept, each picture enlarged 2× so details are visible. target/world-preview.png.
 */
class WorldPreviewTest {
    static final int SCALE = 2, COLS = 8;

    @Test
    void writesContactSheet() throws Exception {
        World w = new World(7);
        List<BufferedImage> tiles = new ArrayList<>();
        for (int i = 0; i < 64; i++) tiles.add(w.pretrainingSample(i).image());
        for (Concept c : Concept.values()) for (Sample s : c.views(COLS)) tiles.add(s.image());
        int cell = World.RESOLUTION * SCALE + 4, rows = (tiles.size() + COLS - 1) / COLS;
        BufferedImage sheet = new BufferedImage(COLS * cell, rows * cell, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setColor(Color.DARK_GRAY);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        for (int i = 0; i < tiles.size(); i++) {
            Image big = tiles.get(i).getScaledInstance(World.RESOLUTION * SCALE, World.RESOLUTION * SCALE, Image.SCALE_FAST);
            g.drawImage(big, (i % COLS) * cell + 2, (i / COLS) * cell + 2, null);
        }
        g.dispose();
        Path out = Path.of("target", "world-preview.png");
        Files.createDirectories(out.getParent());
        Png.write(out, sheet, Map.of("content", "64 pretraining samples of World(7), then "
                + Concept.values().length + " rows of concept views"), true);
        for (int i = 0; i < 64; i++) System.out.println(i + ": " + w.pretrainingSample(i).caption());
        assertThat(Files.size(out)).isPositive();
    }
}
