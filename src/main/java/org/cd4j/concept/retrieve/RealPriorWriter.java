package org.cd4j.concept.retrieve;

import org.cd4j.concept.data.ClassImages;
import org.cd4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes the real-prior layout that {@link ClassImages} reads (and HF's trainer asserts):
 * {@code images/<i>.<ext>} (the pictures' original bytes; the extension is their real format,
 * where the reference names every file {@code .jpg}), and line by line {@code caption.txt},
 * {@code urls.txt} and {@code images.txt}. Paths in {@code images.txt} are relative to the set
 * folder ({@code images/0.jpg}), so the set can be moved; the reference writes them relative to
 * its working folder, which {@link ClassImages} also reads.
 *
 * <p>Everything is prepared in a hidden staging folder inside the set folder and moved into
 * place only when complete: the old set's lists go first, {@code images.txt} comes last, so a
 * reader never sees a list naming a missing picture, and an interrupted run leaves the old set
 * (or nothing) behind. A folder that holds anything visible is refused unless overwriting; then
 * only the four entries of the layout are replaced and other files are left alone.
 */
public final class RealPriorWriter implements AutoCloseable {
    /** The pictures' folder inside the set. */
    public static final String IMAGES_DIR = "images";
    static final String STAGING = ".cd4j-retrieve.part";
    static final String OLD = ".cd4j-retrieve.old";
    /** The layout's entries, in the order the old ones are moved away (the list readers open first goes first). */
    private static final List<String> ENTRIES = List.of(ClassImages.IMAGES_TXT, ClassImages.CAPTION_TXT, ClassImages.URLS_TXT, IMAGES_DIR);

    /**
     * One picture of the set.
     *
     * @param staged    its file in {@link #staging()}
     * @param extension its format's file-name extension
     * @param caption   its caption, one line
     * @param url       where it came from, one line
     */
    public record Entry(Path staged, String extension, String caption, String url) {}

    private final Path outdir;
    private final Path staging;
    private boolean committed;

    private RealPriorWriter(Path outdir, Path staging) {
        this.outdir = outdir;
        this.staging = staging;
    }

    /**
     * Checks the set folder and makes a fresh staging folder in it.
     *
     * @throws FileAlreadyExistsException when {@code outdir} holds visible entries and {@code overwrite} is false
     * @throws NotDirectoryException when {@code outdir} is a file
     */
    public static RealPriorWriter open(Path outdir, boolean overwrite) throws IOException {
        if (Files.exists(outdir) && !Files.isDirectory(outdir)) throw new NotDirectoryException(outdir.toString());
        if (!overwrite && Files.isDirectory(outdir)) {
            try (Stream<Path> s = Files.list(outdir)) {
                long visible = s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
                if (visible > 0) throw new FileAlreadyExistsException(outdir.toString(), null, "holds " + visible + " entries");
            }
        }
        Files.createDirectories(outdir);
        Path staging = outdir.resolve(STAGING);
        deleteTree(staging); // left by a run that was killed
        Files.createDirectories(staging);
        return new RealPriorWriter(outdir, staging);
    }

    /** The private folder where pictures are fetched to before {@link #commit}. */
    public Path staging() {
        return staging;
    }

    /** The set folder. */
    public Path outdir() {
        return outdir;
    }

    /**
     * Writes the set: picture {@code i} of {@code entries} becomes {@code images/<i>.<ext>}.
     *
     * @return {@code outdir/images.txt}
     */
    public Path commit(List<Entry> entries) throws IOException {
        if (committed) throw new IllegalStateException("the set was already written");
        Path images = Files.createDirectories(staging.resolve(IMAGES_DIR));
        StringBuilder paths = new StringBuilder(), captions = new StringBuilder(), urls = new StringBuilder();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            String name = i + "." + e.extension();
            Files.move(e.staged(), images.resolve(name));
            paths.append(IMAGES_DIR).append('/').append(name).append('\n');
            captions.append(oneLine(e.caption())).append('\n');
            urls.append(oneLine(e.url())).append('\n');
        }
        write(staging.resolve(ClassImages.CAPTION_TXT), captions);
        write(staging.resolve(ClassImages.URLS_TXT), urls);
        write(staging.resolve(ClassImages.IMAGES_TXT), paths);
        Path old = outdir.resolve(OLD);
        deleteTree(old);
        Files.createDirectories(old);
        for (String n : ENTRIES) {
            if (Files.exists(outdir.resolve(n), LinkOption.NOFOLLOW_LINKS)) move(outdir.resolve(n), old.resolve(n));
        }
        for (int i = ENTRIES.size() - 1; i >= 0; i--) move(staging.resolve(ENTRIES.get(i)), outdir.resolve(ENTRIES.get(i)));
        committed = true;
        deleteTree(old);
        deleteTree(staging);
        return outdir.resolve(ClassImages.IMAGES_TXT);
    }

    /** Removes the staging folder unless the set was written. */
    @Override
    public void close() throws IOException {
        if (!committed) deleteTree(staging);
    }

    private static String oneLine(String s) {
        return Captions.clean(s);
    }

    private static void write(Path file, CharSequence text) throws IOException {
        AtomicFiles.write(file, false, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a tree without following links. */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
