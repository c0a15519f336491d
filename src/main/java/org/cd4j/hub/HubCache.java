package org.cd4j.hub;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The hub cache exactly as Python's {@code huggingface_hub} lays it out, so that either side
 * reuses what the other downloaded:
 * <pre>
 * {cacheDir}/models--{org}--{name}/
 *     blobs/{etag}                      file contents, named by their sha256 (LFS) or git sha1
 *     blobs/{etag}.incomplete           a download in progress, resumed from its length
 *     refs/{revision}                   the commit a branch or tag pointed to (no newline)
 *     snapshots/{commit}/{path}         relative symlinks into ../blobs, one tree per commit
 * {cacheDir}/.locks/models--{org}--{name}/{etag}.lock   held while a blob is downloaded
 * {cacheDir}/CACHEDIR.TAG               tells backup tools to skip the cache
 * </pre>
 */
public final class HubCache {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path root;

    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** True for a full 40-digit lowercase commit hash (a revision that needs no {@code refs/} lookup). */
    public static boolean isCommitHash(String revision) {
        return revision != null && COMMIT.matcher(revision).matches();
    }

    public Path repoDir(RepoId repo) {
        return root.resolve(repo.cacheFolderName());
    }

    public Path snapshotDir(RepoId repo, String commit) {
        if (!isCommitHash(commit)) throw new IllegalArgumentException("not a commit hash: '" + commit + "'");
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    public Path blob(RepoId repo, String etag) {
        if (!ETAG.matcher(etag).matches() || etag.startsWith(".")) {
            throw new IllegalArgumentException("the hub gave an ETag that cannot name a cache file: '" + etag + "'");
        }
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    /** Where a download of {@code etag} in progress is kept until it is complete and verified. */
    public Path incomplete(RepoId repo, String etag) {
        Path b = blob(repo, etag);
        return b.resolveSibling(b.getFileName() + ".incomplete");
    }

    /**
     * Holds {@code .locks/models--org--name/{etag}.lock} (huggingface_hub's lock file) while a blob
     * is downloaded, so that two cd4j processes never append to the same {@code .incomplete} file.
     * Where the file system has no locks, nothing is held: a clash then costs a hash mismatch at worst.
     */
    public Closeable lock(RepoId repo, String etag) throws IOException {
        Path file = root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(blob(repo, etag).getFileName() + ".lock");
        // File locks are per process: threads of this one queue on a lock of their own first.
        ReentrantLock local = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
        local.lock();
        FileChannel ch = null;
        FileLock held = null;
        try {
            Files.createDirectories(file.getParent());
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            held = ch.lock();
        } catch (IOException | OverlappingFileLockException e) {
            if (ch != null) ch.close();
            ch = null;
        }
        FileChannel channel = ch;
        FileLock lock = held;
        return () -> {
            try {
                if (channel != null) {
                    try (channel) {
                        lock.release();
                    }
                }
            } finally {
                local.unlock();
            }
        };
    }

    /**
     * Marks the cache as one ({@code CACHEDIR.TAG}, which backup tools skip), as huggingface_hub does;
     * an existing tag is left as it is and a failure to write one is ignored.
     */
    public void tag() {
        Path tag = root.resolve("CACHEDIR.TAG");
        if (Files.exists(tag)) return;
        try {
            Files.createDirectories(root);
            Files.writeString(tag, "Signature: 8a477f597d28d172789f06886806bc55\n"
                    + "# This file is a cache directory tag (the Hugging Face hub cache, written here by cd4j).\n"
                    + "# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n",
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            // only a courtesy to backup tools
        }
    }

    /** {@code snapshots/{commit}/{path}}, refusing repository paths that would leave the snapshot. */
    public Path pointer(RepoId repo, String commit, String path) {
        checkRepoPath(path);
        return snapshotDir(repo, commit).resolve(path);
    }

    /** The commit {@code refs/{revision}} records, if any; a commit hash is its own answer. */
    public Optional<String> readRef(RepoId repo, String revision) throws IOException {
        if (isCommitHash(revision)) return Optional.of(revision);
        Path ref = refFile(repo, revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        String commit = Files.readString(ref).trim();
        return isCommitHash(commit) ? Optional.of(commit) : Optional.empty();
    }

    /** Records that {@code revision} points to {@code commit} (atomically; nothing to do for a commit hash). */
    public void writeRef(RepoId repo, String revision, String commit) throws IOException {
        if (revision.equals(commit)) return;
        Path ref = refFile(repo, revision);
        if (Files.isRegularFile(ref) && Files.readString(ref).equals(commit)) return; // a read-only cache stays usable
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), "." + ref.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, commit); // no newline, as huggingface_hub writes it
            moveReplacing(tmp, ref);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Points {@code snapshots/{commit}/{path}} at {@code blobs/{etag}} with a relative symlink
     * ({@code ../../blobs/…}, one {@code ..} more per folder level of {@code path}), so the cache
     * may be moved as a whole. Where symlinks are impossible the blob is copied, as huggingface_hub does.
     */
    public Path link(RepoId repo, String commit, String path, String etag) throws IOException {
        Path pointer = pointer(repo, commit, path);
        Path blob = blob(repo, etag);
        Files.createDirectories(pointer.getParent());
        Files.deleteIfExists(pointer);
        Path target = pointer.getParent().relativize(blob);
        try {
            Files.createSymbolicLink(pointer, target);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isSameFile(pointer, blob)) throw e; // made concurrently by another download of the same file
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
        }
        return pointer;
    }

    /**
     * The repository paths present in a snapshot ({@code /}-separated, sorted), counting only
     * entries that lead to a file: a link whose blob was deleted is not there.
     */
    public List<String> snapshotFiles(RepoId repo, String commit) throws IOException {
        Path dir = snapshotDir(repo, commit);
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted().toList()) {
                if (Files.isRegularFile(p)) out.add(dir.relativize(p).toString().replace('\\', '/'));
            }
        }
        return out;
    }

    /**
     * The repository a folder belongs to when it is a snapshot in some hub cache
     * ({@code …/models--org--name/snapshots/<commit>}), for showing a name instead of a commit hash.
     */
    public static Optional<RepoId> repoOfSnapshot(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        Path commit = d.getFileName(), snapshots = d.getParent(), repo = snapshots == null ? null : snapshots.getParent();
        if (commit == null || repo == null || repo.getFileName() == null || !isCommitHash(commit.toString())
                || !"snapshots".equals(snapshots.getFileName().toString())) {
            return Optional.empty();
        }
        String folder = repo.getFileName().toString();
        if (!folder.startsWith("models--")) return Optional.empty();
        String[] parts = folder.substring("models--".length()).split("--", -1);
        return parts.length == 2 ? RepoId.parse(parts[0] + "/" + parts[1]) : Optional.empty();
    }

    private Path refFile(RepoId repo, String revision) {
        // Branch names may hold slashes (refs/pr/1): they become folders, as in huggingface_hub.
        checkRepoPath(revision);
        return repoDir(repo).resolve("refs").resolve(revision);
    }

    /** A repository-relative path from the server or the user must stay inside its folder. */
    static void checkRepoPath(String path) {
        boolean bad = path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0");
        if (!bad) {
            for (String seg : path.split("/", -1)) {
                if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) bad = true;
            }
        }
        if (bad) throw new IllegalArgumentException("'" + path + "' is not a valid path inside a hub repository");
    }

    static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
