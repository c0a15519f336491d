package org.cd4j.web;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The folder everything the web app keeps lives in ({@code --workdir}): {@code jobs/},
 * {@code datasets/}, {@code deltas/}, {@code gallery/} and {@code tmp/}.
 *
 * <p>Every name that arrives in a request goes through {@link #child}: it must be a plain name
 * (letters, digits, {@code _ . -}, no leading dot, no {@code ..}), and the file it names must not
 * be a symbolic link and must really lie inside the folder it was looked up in. So neither
 * {@code ../}, absolute paths, encoded variants (which arrive decoded, or keep their {@code %}
 * and fail the pattern) nor a link planted in the workdir lets a request reach anything outside.
 */
public final class Workdir {
    /** What a name from a request may look like. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final Path root;

    private Workdir(Path root) {
        this.root = root;
    }

    /** Creates the folder layout if needed. */
    public static Workdir open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path root = dir.toRealPath();
        Workdir w = new Workdir(root);
        for (Path p : new Path[]{w.jobs(), w.datasets(), w.deltas(), w.gallery(), w.tmp()}) Files.createDirectories(p);
        return w;
    }

    public Path root() {
        return root;
    }

    public Path jobs() {
        return root.resolve("jobs");
    }

    public Path datasets() {
        return root.resolve("datasets");
    }

    public Path deltas() {
        return root.resolve("deltas");
    }

    public Path gallery() {
        return root.resolve("gallery");
    }

    /** Uploads in progress (multipart spill files, staging folders). */
    public Path tmp() {
        return root.resolve("tmp");
    }

    /** Whether {@code name} is a plain name a request may use. */
    public static boolean isSafeName(String name) {
        return name != null && NAME.matcher(name).matches() && !name.contains("..");
    }

    /**
     * Checks a name from a request.
     *
     * @param what what the name is of, for the message ("dataset", "delta" …)
     */
    public static String checkName(String name, String what) {
        if (!isSafeName(name)) {
            throw ApiException.bad("invalid " + what + " name '" + shorten(name) + "': use letters, digits, '_', '-' and '.',"
                    + " starting with a letter or digit, at most 128 characters");
        }
        return name;
    }

    /**
     * {@code dir/name} for a name from a request, refused (400) unless the name is plain and the
     * result is inside {@code dir}; an existing file must not be a symbolic link and its real
     * path must be inside {@code dir}'s real path.
     */
    public Path child(Path dir, String name, String what) {
        checkName(name, what);
        Path p = dir.resolve(name).normalize();
        if (!p.startsWith(dir) || !p.getParent().equals(dir)) throw ApiException.bad("invalid " + what + " name");
        if (Files.isSymbolicLink(p)) throw ApiException.bad(what + " '" + name + "' is a symbolic link; refused");
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            try {
                if (!p.toRealPath().startsWith(dir.toRealPath())) throw ApiException.bad(what + " '" + name + "' lies outside the workdir");
            } catch (IOException e) {
                throw ApiException.notFound(what + " '" + name + "' cannot be read");
            }
        }
        return p;
    }

    /** A new, unique-enough id: {@code prefix-yyyyMMdd-HHmmss-xxxxxx}; sorting ids sorts by creation time. */
    public static String newId(String prefix) {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return prefix + "-" + LocalDateTime.now().format(STAMP) + "-" + HexFormat.of().formatHex(b);
    }

    /** Random bytes as hex, for tokens and staging names. */
    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String shorten(String s) {
        if (s == null) return "";
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() <= 60 ? t : t.substring(0, 57) + "...";
    }

    /** Deletes a folder tree (no link is followed: {@code Files.walk} does not follow them by default). */
    public static void deleteTree(Path p) throws IOException {
        org.cd4j.io.AtomicFiles.deleteTree(p);
    }
}
