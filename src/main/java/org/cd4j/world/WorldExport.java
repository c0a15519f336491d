package org.cd4j.world;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cd4j.io.Png;

/**
 * Writes the world's pictures to folders the trainer reads. A folder is built under a temporary
 * name beside the target and renamed into place, so it is either complete or absent; a folder
 * that already holds files is kept unless {@code overwrite} is set.
 *
 * <ul>
 *   <li>{@link #writeDataset}: the real-prior layout ({@code images/NNNNNN.png}, {@code images.txt},
 *       {@code caption.txt}, line i captioning line i), which {@code ClassImages} reads with
 *       per-picture captions;</li>
 *   <li>{@link #writeConcept}: a folder of PNG views, what {@code cd4j train --instance-data-dir} reads;</li>
 *   <li>{@link #writePrior}: a folder of PNGs of the category, for {@code --class-data-dir}.</li>
 * </ul>
 * Each PNG carries its caption in a {@code caption} text chunk.
 */
public final class WorldExport {
    private WorldExport() {}

    /** The first {@code n} pretraining samples of {@code w}. */
    public static void writeDataset(World w, Path dir, int n) throws IOException {
        writeDataset(w, dir, n, false);
    }

    public static void writeDataset(World w, Path dir, int n, boolean overwrite) throws IOException {
        requireCount(n);
        writeAtomically(dir, overwrite, tmp -> {
            Path images = Files.createDirectories(tmp.resolve("images"));
            List<String> paths = new ArrayList<>(n), captions = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Sample s = w.pretrainingSample(i);
                String name = String.format("%06d.png", i);
                writePng(images.resolve(name), s);
                paths.add("images/" + name);
                captions.add(s.caption());
            }
            Files.write(tmp.resolve("images.txt"), paths, StandardCharsets.UTF_8);
            Files.write(tmp.resolve("caption.txt"), captions, StandardCharsets.UTF_8);
        });
    }

    /** {@code n} views of {@code c} as {@code NN.png}. */
    public static void writeConcept(Concept c, Path dir, int n) throws IOException {
        writeConcept(c, dir, n, false);
    }

    public static void writeConcept(Concept c, Path dir, int n, boolean overwrite) throws IOException {
        requireCount(n);
        writeSamples(c.views(n), dir, overwrite);
    }

    /** {@code n} prior samples of {@code category} (see {@link World#priorSamples}) as {@code NNNN.png}. */
    public static void writePrior(World w, Category category, Path dir, int n, long seed, boolean overwrite)
            throws IOException {
        requireCount(n);
        writeSamples(w.priorSamples(category, n, seed), dir, overwrite);
    }

    private static void writeSamples(List<Sample> samples, Path dir, boolean overwrite) throws IOException {
        writeAtomically(dir, overwrite, tmp -> {
            for (int i = 0; i < samples.size(); i++)
                writePng(tmp.resolve(String.format("%04d.png", i)), samples.get(i));
        });
    }

    private static void writePng(Path file, Sample s) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            Png.write(out, s.image(), Map.of("caption", s.caption()));
        }
    }

    @FunctionalInterface
    private interface Filler {
        void fill(Path tmp) throws IOException;
    }

    private static void writeAtomically(Path dir, boolean overwrite, Filler filler) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target) && !Files.isDirectory(target))
            throw new IOException(dir + " is a file, expected a folder to write pictures into");
        if (!overwrite && !isEmptyOrAbsent(target))
            throw new DirectoryNotEmptyException(dir + " already holds files (pass overwrite to replace them)");
        Path parent = Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
        Path old = null;
        try {
            filler.fill(tmp);
            if (Files.exists(target)) { // empty, or replaced on request: moved aside, deleted once the new one is in
                old = Files.createTempDirectory(parent, "." + target.getFileName() + ".old.");
                Files.delete(old);
                Files.move(target, old);
            }
            try {
                Files.move(tmp, target);
            } catch (IOException e) {
                if (old != null) Files.move(old, target); // put the previous folder back
                old = null;
                throw e;
            }
            tmp = null;
        } finally {
            if (tmp != null) deleteTree(tmp);
            if (old != null) deleteTree(old);
        }
    }

    private static boolean isEmptyOrAbsent(Path dir) throws IOException {
        if (!Files.exists(dir)) return true;
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static void requireCount(int n) {
        if (n < 0) throw new IllegalArgumentException("number of pictures must be >= 0, got " + n);
    }
}
