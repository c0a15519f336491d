package org.cd4j.concept.retrieve;

import org.cd4j.concept.data.CaptionedImage;
import org.cd4j.concept.data.ClassImages;
import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A local collection of captioned pictures to retrieve from offline, in a fixed order (the
 * tie-break of the ranking). Two layouts are read:
 * <ul>
 *   <li>a list: {@code images.txt} + {@code caption.txt} (+ {@code urls.txt}), exactly as
 *       {@link ClassImages#realPrior} reads them — e.g. an earlier retrieval, or a LAION subset
 *       saved by the reference's scripts; order = line order;</li>
 *   <li>pictures with caption files beside them, {@code photo.jpg} + {@code photo.txt}, in the
 *       folder and its sub-folders (hidden ones skipped, links not followed); order = relative
 *       path. Pictures without a caption file, or with an empty one, are left out and counted.</li>
 * </ul>
 *
 * @param dir       the collection's folder
 * @param items     every captioned picture, in collection order
 * @param uncaptioned pictures left out for want of a caption
 */
public record LocalCollection(Path dir, List<Candidate> items, int uncaptioned) {
    /** Reads a collection; a folder with no captioned picture is an error naming it. */
    public static LocalCollection read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, Files.exists(dir) ? "not a folder" : "no such folder");
        }
        LocalCollection c = Files.isRegularFile(dir.resolve(ClassImages.IMAGES_TXT)) ? listed(dir) : besideFiles(dir);
        if (c.items().isEmpty()) {
            throw new FormatException(dir, "no captioned picture found (expected pictures with a caption file beside them,"
                    + " photo.jpg + photo.txt, or images.txt + caption.txt)"
                    + (c.uncaptioned() > 0 ? "; " + c.uncaptioned() + " picture(s) have no caption file" : ""));
        }
        return c;
    }

    private static LocalCollection listed(Path dir) throws IOException {
        ClassImages set = ClassImages.realPrior(dir, Integer.MAX_VALUE);
        Path urlsTxt = dir.resolve(ClassImages.URLS_TXT);
        List<String> urls = Files.isRegularFile(urlsTxt) ? Files.readAllLines(urlsTxt, StandardCharsets.UTF_8) : List.of();
        List<Candidate> out = new ArrayList<>();
        int empty = 0;
        for (int i = 0; i < set.size(); i++) {
            CaptionedImage it = set.items().get(i);
            String caption = Captions.clean(it.caption());
            if (caption.isEmpty()) {
                empty++;
                continue;
            }
            String url = i < urls.size() && !urls.get(i).isBlank() ? urls.get(i).strip() : it.path().toUri().toString();
            out.add(new Candidate(url, caption, Double.NaN, it.path()));
        }
        return new LocalCollection(dir, List.copyOf(out), empty);
    }

    private static LocalCollection besideFiles(Path dir) throws IOException {
        List<Path> pictures;
        try (Stream<Path> s = Files.walk(dir)) {
            pictures = s.filter(p -> !hidden(dir, p)).filter(ImageFiles::isImageName).filter(Files::isRegularFile)
                    .sorted((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString())).toList();
        }
        List<Candidate> out = new ArrayList<>();
        int without = 0;
        for (Path p : pictures) {
            String caption = caption(p);
            if (caption.isEmpty()) {
                without++;
                continue;
            }
            out.add(new Candidate(p.toUri().toString(), caption, Double.NaN, p));
        }
        return new LocalCollection(dir, List.copyOf(out), without);
    }

    /** The cleaned text of {@code <stem>.txt} beside the picture, or "" when there is none. */
    private static String caption(Path picture) throws IOException {
        String name = picture.getFileName().toString();
        Path txt = picture.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".txt");
        if (!Files.isRegularFile(txt)) return "";
        try {
            return Captions.clean(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(txt))).toString()
                    .replace("\uFEFF", ""));
        } catch (CharacterCodingException e) {
            throw new FormatException(txt, "not UTF-8 text (a caption file must be UTF-8)");
        }
    }

    /** True when any part of the path below {@code dir} starts with a dot. */
    private static boolean hidden(Path dir, Path p) {
        for (Path part : dir.relativize(p)) if (part.toString().startsWith(".")) return true;
        return false;
    }

    /** The captions, in collection order. */
    public List<String> captions() {
        return items.stream().map(Candidate::caption).toList();
    }
}
