package org.cd4j.concept;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.concept.data.ClassImages;
import org.cd4j.io.ImageFiles;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Work done once instead of at every step — class-caption states and VAE moments of fixed-crop
 * pictures, kept in memory and, for class pictures, in {@code .cd4j-cache} beside them — leaves
 * the run bit-identical to one that encodes everything at every step; the disk cache is reused
 * by the next run (no VAE encoding of class pictures) and replaced when a picture changes.
 * Short runs on tiny-sd1 at 64 px on a copy of the pot fixture (real prior, square class
 * pictures, flips: two variants per class picture).
 */
class TrainerReuseTest {
    static final int STEPS = 2;
    static final int BATCH = 2;

    @TempDir
    Path tmp;

    Path data() throws IOException {
        return Fixtures.copyOf("custom_diffusion/data/pot", tmp);
    }

    static TrainConfig config(Path data, Path out, String amp) {
        return new TrainConfig(Fixtures.tinySd1().toString(), out.toString(), data.resolve("instance").toString(),
                "photo of a <new1> wooden pot", data.resolve("class").toString(), null, null, "<new1>", "ktn",
                true, true, 1.0, 8, 4, 50, 64, BATCH, 1e-3, false, "constant", 0, STEPS, true, false, false,
                "crossattn_kv", 7, 0, 0, null, 50, 1, 1, 1.0, 0.9, 0.999, 1e-2, 1e-8, amp, false, "refuse");
    }

    Trainer.Result run(Path data, String name, boolean reuse, String amp) throws IOException {
        return new Trainer(config(data, tmp.resolve(name), amp), TrainListener.NONE, new RunOptions(reuse, org.cd4j.nn.Device.CPU)).run(null);
    }

    void assertSameRun(String a, String b) throws IOException {
        try (SafetensorsFile x = SafetensorsFile.open(tmp.resolve(a).resolve(Trainer.DELTA));
             SafetensorsFile y = SafetensorsFile.open(tmp.resolve(b).resolve(Trainer.DELTA))) {
            assertThat(y.keys()).isEqualTo(x.keys());
            for (String k : x.keys()) assertThat(Tensors.maxAbsDiff(x.tensor(k), y.tensor(k))).as(b + " " + k).isZero();
        }
        List<String> ma = Files.readAllLines(tmp.resolve(a).resolve("metrics.jsonl"));
        List<String> mb = Files.readAllLines(tmp.resolve(b).resolve("metrics.jsonl"));
        assertThat(mb).hasSameSizeAs(ma);
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < ma.size(); i++) {
            JsonNode p = json.readTree(ma.get(i)), q = json.readTree(mb.get(i));
            for (String f : List.of("loss", "instance_loss", "prior_loss", "grad_norm")) {
                assertThat(q.get(f).doubleValue()).as(b + " step " + (i + 1) + " " + f).isEqualTo(p.get(f).doubleValue());
            }
        }
    }

    static List<Path> cacheFiles(Path data) throws IOException {
        Path dir = data.resolve("class/images").resolve(LatentCache.DIR);
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    static JsonNode summary(Path out) throws IOException {
        return new ObjectMapper().readTree(out.resolve(Trainer.SUMMARY).toFile());
    }

    @Test
    void reuseIsBitIdenticalPersistsAndIsReplacedWhenAPictureChanges() throws Exception {
        Path data = data();
        int instanceRows = STEPS * BATCH; // zoom augmentation on: never reused

        Trainer.Result fresh = run(data, "fresh", false, "no");
        assertThat(cacheFiles(data)).as("no reuse writes no cache").isEmpty();
        assertThat(fresh.latentCache().encodes()).isEqualTo(2 * instanceRows);
        assertThat(summary(tmp.resolve("fresh")).get("fixed_caption_encodes").asInt()).isEqualTo(instanceRows);

        Trainer.Result first = run(data, "first", true, "no");
        assertSameRun("fresh", "first");
        List<Path> files = cacheFiles(data);
        int variants = files.size();
        assertThat(variants).isPositive();
        assertThat(first.latentCache().diskWrites()).isEqualTo(variants);
        assertThat(first.latentCache().encodes()).isEqualTo(instanceRows + variants);
        assertThat(first.latentCache().memoryHits()).isEqualTo(instanceRows - variants);
        JsonNode s1 = summary(tmp.resolve("first"));
        assertThat(s1.get("fixed_caption_encodes").asInt()).as("each class caption once").isLessThan(instanceRows);
        assertThat(s1.get("stage_seconds").get("vae").asDouble()).isPositive();

        Trainer.Result second = run(data, "second", true, "no");
        assertSameRun("fresh", "second");
        assertThat(second.latentCache().encodes()).as("class pictures are not encoded again").isEqualTo(instanceRows);
        assertThat(second.latentCache().diskReads()).isEqualTo(variants);
        assertThat(second.latentCache().diskWrites()).isZero();

        // change one cached class picture: its files are recomputed and replaced, the others reused
        String changed = files.get(0).getFileName().toString();
        Path picture = data.resolve("class/images").resolve(changed.substring(0, changed.indexOf('.')) + ".jpg");
        long ofPicture = files.stream().filter(f -> f.getFileName().toString().startsWith(picture.getFileName() + ".")).count();
        BufferedImage img = ImageFiles.read(picture);
        img.setRGB(0, 0, img.getWidth(), img.getHeight(), new int[img.getWidth() * img.getHeight()], 0, img.getWidth());
        Files.delete(picture);
        ClassImages.saveGenerated(picture.getParent(), 0, img); // a JPEG with other pixels ...
        try (Stream<Path> s = Files.list(picture.getParent())) { // ... under the old name
            Path made = s.filter(p -> p.getFileName().toString().startsWith("0-")).findFirst().orElseThrow();
            Files.move(made, picture);
        }
        Trainer.Result third = run(data, "third", true, "no");
        assertThat(third.latentCache().diskWrites()).isEqualTo(ofPicture);
        assertThat(third.latentCache().diskReads()).isEqualTo(variants - ofPicture);
        assertThat(cacheFiles(data)).hasSize(variants);
        run(data, "third-fresh", false, "no");
        assertSameRun("third-fresh", "third");
    }

    @Test
    void bf16MomentsAreCachedExactlyToo() throws Exception {
        Path data = data();
        run(data, "fresh", false, "bf16");
        run(data, "first", true, "bf16");
        Trainer.Result second = run(data, "second", true, "bf16");
        assertThat(second.latentCache().diskReads()).isPositive();
        assertSameRun("fresh", "first");
        assertSameRun("fresh", "second");
        List<String> names = new ArrayList<>();
        for (Path f : cacheFiles(data)) {
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                names.add(sf.info("moments").dtype().name());
                assertThat(sf.metadata().get("key")).contains("autocast=BF16");
            }
        }
        assertThat(names).isNotEmpty();
    }
}
