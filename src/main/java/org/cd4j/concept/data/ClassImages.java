package org.cd4j.concept.data;

import org.cd4j.io.AtomicFiles;
import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A class (regularisation, "prior") set: pictures of the concept's category with their captions,
 * truncated to {@code num_class_images} like the reference ({@code class_img_path[:num_class_images]}).
 *
 * <p>Two layouts are read:
 * <ul>
 *   <li><b>a folder of pictures</b> (generated prior, or any pictures), all captioned with the
 *       class prompt, in natural name order ({@link ImageFiles#listImages});</li>
 *   <li><b>the real-prior layout</b> written by the reference's {@code retrieve.py}:
 *       {@code <dir>/images/}, {@code <dir>/images.txt} (one picture path per line),
 *       {@code <dir>/caption.txt} (line i captions line i of images.txt: the retrieved LAION
 *       captions, not the class word) and {@code <dir>/urls.txt}. The reference writes paths
 *       relative to the working folder of the retrieval run, typically {@code class/images/0.jpg}
 *       from the concept folder, so a path is tried against {@code <dir>}, then against
 *       {@code <dir>}'s parent, then as given.</li>
 * </ul>
 *
 * <p>The trainer fills a short generated set with {@link #saveGenerated}, using the reference's
 * file names {@code <index>-<sha1 of the RGB bytes>.jpg}.
 */
public final class ClassImages {
    /** Name of the list of picture paths in the real-prior layout. */
    public static final String IMAGES_TXT = "images.txt";
    /** Name of the caption list in the real-prior layout. */
    public static final String CAPTION_TXT = "caption.txt";
    /** Name of the source-address list in the real-prior layout (informational). */
    public static final String URLS_TXT = "urls.txt";

    private final Path dir;
    private final boolean realPrior;
    private final List<CaptionedImage> items;

    private ClassImages(Path dir, boolean realPrior, List<CaptionedImage> items) {
        this.dir = dir;
        this.realPrior = realPrior;
        this.items = List.copyOf(items);
    }

    /**
     * The real-prior layout when {@code dir} holds {@code images.txt} (or {@code dir} is that
     * file), else a folder of pictures captioned with {@code classPrompt}.
     *
     * @param limit at most this many pictures are kept (the first ones)
     */
    public static ClassImages open(Path dir, String classPrompt, int limit) throws IOException {
        if (Files.isRegularFile(dir) && dir.getFileName().toString().equals(IMAGES_TXT)) {
            return realPrior(dir.toAbsolutePath().getParent(), limit);
        }
        if (Files.isRegularFile(dir.resolve(IMAGES_TXT))) return realPrior(dir, limit);
        return folder(dir, classPrompt, limit);
    }

    /** Every picture in {@code dir}, captioned with {@code classPrompt}. */
    public static ClassImages folder(Path dir, String classPrompt, int limit) throws IOException {
        if (classPrompt == null || classPrompt.isBlank()) {
            throw new IllegalArgumentException(dir + ": a folder of class pictures needs a class prompt"
                    + " (only the real-prior layout with caption.txt carries its own captions)");
        }
        List<CaptionedImage> out = new ArrayList<>();
        for (Path p : ImageFiles.listImages(dir)) {
            if (out.size() >= limit) break;
            out.add(new CaptionedImage(p, classPrompt, "class folder " + dir));
        }
        return new ClassImages(dir, false, out);
    }

    /** The real-prior layout in {@code dir}; mismatched list lengths are errors. */
    public static ClassImages realPrior(Path dir, int limit) throws IOException {
        Path imagesTxt = dir.resolve(IMAGES_TXT);
        Path captionTxt = dir.resolve(CAPTION_TXT);
        List<String> paths = lines(imagesTxt, "the real-prior layout needs " + IMAGES_TXT + " (one picture path per line)");
        List<String> captions = lines(captionTxt, "the real-prior layout needs " + CAPTION_TXT
                + " beside " + IMAGES_TXT + " (line i captions picture i)");
        if (paths.size() != captions.size()) {
            throw new FormatException(dir, IMAGES_TXT + " has " + paths.size() + " lines but " + CAPTION_TXT + " has "
                    + captions.size() + " (line i of " + CAPTION_TXT + " captions line i of " + IMAGES_TXT + ")");
        }
        Path urlsTxt = dir.resolve(URLS_TXT);
        if (Files.isRegularFile(urlsTxt)) {
            int urls = lines(urlsTxt, "").size();
            if (urls != paths.size()) {
                throw new FormatException(dir, IMAGES_TXT + " has " + paths.size() + " lines but " + URLS_TXT + " has "
                        + urls + " (the three lists of the real-prior layout go line by line together)");
            }
        }
        List<CaptionedImage> out = new ArrayList<>();
        for (int i = 0; i < paths.size() && out.size() < limit; i++) {
            String line = paths.get(i).strip();
            if (line.isEmpty()) throw new FormatException(imagesTxt, "line " + (i + 1) + " is empty (expected a picture path)");
            Path p = locate(dir, line);
            if (p == null) {
                throw new FormatException(imagesTxt, "line " + (i + 1) + ": " + line + " not found (looked in " + dir
                        + ", in " + dir.toAbsolutePath().getParent() + " and in the working folder)");
            }
            out.add(new CaptionedImage(p, captions.get(i), imagesTxt + " line " + (i + 1)));
        }
        return new ClassImages(dir, true, out);
    }

    /** A listed path: as given when absolute, else against {@code dir}, its parent, the working folder. */
    static Path locate(Path dir, String line) {
        Path given = Path.of(line);
        if (given.isAbsolute()) return Files.isRegularFile(given) ? given : null;
        Path abs = dir.toAbsolutePath();
        List<Path> candidates = new ArrayList<>();
        candidates.add(abs.resolve(given));
        if (abs.getParent() != null) candidates.add(abs.getParent().resolve(given));
        candidates.add(given.toAbsolutePath());
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) return c.normalize();
        }
        return null;
    }

    /** Python's {@code f.read().splitlines()}: no trailing empty line, CR LF tolerated. */
    private static List<String> lines(Path file, String whenMissing) throws IOException {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.startsWith("\uFEFF")) text = text.substring(1); // a BOM is not part of the first path
            String[] parts = text.split("\r\n|\r|\n", -1);
            int n = parts[parts.length - 1].isEmpty() ? parts.length - 1 : parts.length;
            return List.of(parts).subList(0, n);
        } catch (NoSuchFileException e) {
            throw new FormatException(file, "missing: " + whenMissing);
        }
    }

    /**
     * Checks that a class set given with {@code --real-prior} is in the real-prior layout: without
     * {@code images.txt} it would silently be read as a folder of pictures captioned with the
     * class prompt, which is not what the flag asks for.
     *
     * @throws FormatException naming the folder and how to make the layout
     */
    public static void requireRealPrior(Path dir) throws FormatException {
        Path list = Files.isRegularFile(dir) && dir.getFileName().toString().equals(IMAGES_TXT) ? dir : dir.resolve(IMAGES_TXT);
        if (!Files.isRegularFile(list)) {
            throw new FormatException(dir, "--real-prior needs the real-prior layout here (" + IMAGES_TXT + ", " + CAPTION_TXT
                    + ", images/); make it with: cd4j retrieve --class-prompt TEXT --outdir " + dir + " (--service URL | --from DIR"
                    + " --model DIR), or leave out --real-prior to use or generate a folder of pictures");
        }
    }

    /**
     * How many class pictures {@code dir} offers (0 when it does not exist): the lines of
     * {@code images.txt} for the real-prior layout, else the pictures directly in the folder.
     * A generator tops the set up to {@code num_class_images}; counting a real-prior set by its
     * list keeps it from generating into a retrieved set.
     */
    public static int countImages(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        if (Files.isRegularFile(dir.resolve(IMAGES_TXT))) {
            return (int) lines(dir.resolve(IMAGES_TXT), "").stream().filter(l -> !l.isBlank()).count();
        }
        return ImageFiles.listImages(dir).size();
    }

    /**
     * Saves a generated class picture as {@code <dir>/<index>-<sha1>.jpg} (JPEG quality 95),
     * where sha1 is over the interleaved RGB bytes like the reference's
     * {@code hashlib.sha1(image.tobytes())}. Written to a temporary name and renamed; a file of
     * that name already holds the same pixels, so it is kept.
     *
     * @return the file
     */
    public static Path saveGenerated(Path dir, int index, BufferedImage image) throws IOException {
        RgbImage rgb = RgbImage.of(image);
        Path file = dir.resolve(index + "-" + sha1(rgb.data()) + ".jpg");
        if (Files.exists(file)) return file;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageFiles.writeJpeg(buf, rgb.toBufferedImage(), 0.95f);
        Files.createDirectories(dir);
        AtomicFiles.write(file, false, out -> buf.writeTo(out));
        return file;
    }

    /** Hex SHA-1 of bytes (of {@link RgbImage#data()}: the reference's {@code hashlib.sha1(image.tobytes())}). */
    public static String sha1(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }

    /** The set's folder. */
    public Path dir() {
        return dir;
    }

    /** True for the real-prior layout (per-picture captions). */
    public boolean isRealPrior() {
        return realPrior;
    }

    /** The pictures with their captions, in list order. */
    public List<CaptionedImage> items() {
        return items;
    }

    /** Number of pictures. */
    public int size() {
        return items.size();
    }
}
