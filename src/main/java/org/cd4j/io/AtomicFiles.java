package org.cd4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writing files so that nothing half-written is ever left under the final name: the content goes
 * to a temporary file beside the target, which is then renamed into place. Existing files are
 * kept unless the caller asks to overwrite them.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Produces a file's content. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Fills a new, empty folder. */
    @FunctionalInterface
    public interface FolderWriter {
        void writeInto(Path dir) throws IOException;
    }

    /**
     * Creates the folder {@code target} atomically: its content is written into a hidden temporary
     * folder beside it, which is then renamed to {@code target}, so {@code target} either does not
     * exist or is complete. An existing {@code target} is replaced only when {@code overwrite} is
     * set (it is moved aside first and deleted once the new folder is in place).
     *
     * @throws FileAlreadyExistsException when {@code target} exists (also when another process
     *                                    created it meanwhile) and {@code overwrite} is false
     */
    public static void writeFolder(Path target, boolean overwrite, FolderWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        if (!overwrite && Files.exists(abs)) throw new FileAlreadyExistsException(target.toString());
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".");
        Path old = null;
        try {
            writer.writeInto(tmp);
            if (Files.exists(abs)) {
                if (!overwrite) throw new FileAlreadyExistsException(target.toString());
                old = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".old.");
                Files.delete(old);
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                throw new FileAlreadyExistsException(target.toString());
            }
            tmp = null;
        } finally {
            if (tmp != null) deleteTree(tmp);
            if (old != null) deleteTree(old);
        }
    }

    /** Deletes a file or a folder with everything in it (symbolic links are removed, not followed). */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (java.util.stream.Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Writes {@code path} atomically.
     *
     * @throws FileAlreadyExistsException when {@code path} exists and {@code overwrite} is false
     */
    public static void write(Path path, boolean overwrite, Writer writer) throws IOException {
        Path target = path.toAbsolutePath();
        if (!overwrite && Files.exists(target)) throw new FileAlreadyExistsException(path.toString());
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
        boolean done = false;
        try {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                    java.nio.file.StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                writer.writeTo(out);
                out.flush();
                ch.force(true); // the data is on disk before the name points at it
            }
            if (!overwrite && Files.exists(target)) throw new FileAlreadyExistsException(path.toString());
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }
}
