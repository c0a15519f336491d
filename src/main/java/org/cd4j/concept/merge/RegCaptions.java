package org.cd4j.concept.merge;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The regularisation captions whose features the merge keeps close to the base model (reference
 * §1.9 step 2): the first {@value #MAX} lines of a text file, each stripped, as the reference
 * reads them ({@code [x.strip() for x in f.readlines()][:200]} — a blank line among them stays
 * and contributes its end-token row). The reference's own file is not public; cd4j ships
 * {@link #defaults() 200 everyday captions of its own}.
 */
public final class RegCaptions {
    /** How many lines the reference reads. */
    public static final int MAX = 200;
    /** The default caption set, beside this class. */
    static final String RESOURCE = "reg_captions.txt";

    private RegCaptions() {}

    /**
     * The captions of {@code file}.
     *
     * @throws IllegalArgumentException when it holds no caption or is not UTF-8 text
     */
    public static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "caption file not found");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("caption file " + file + " is not UTF-8 text (one caption per line expected)");
        }
        return parse(text, file.toString());
    }

    /** cd4j's default caption set (200 original captions of everyday scenes, objects and styles). */
    public static List<String> defaults() {
        try (InputStream in = RegCaptions.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("the default caption set " + RESOURCE + " is missing from the jar");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "the default caption set");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first {@value #MAX} stripped lines of {@code text}; at least one must hold a caption. */
    static List<String> parse(String text, String source) {
        if (text.startsWith("\uFEFF")) text = text.substring(1); // a byte-order mark is not part of the caption
        List<String> lines = text.lines().limit(MAX).map(String::strip).toList();
        if (lines.stream().allMatch(String::isEmpty)) {
            throw new IllegalArgumentException("caption file " + source + " is empty; give one regularisation caption per line"
                    + " (the reference uses " + MAX + "), or leave out --reg-prompts to use cd4j's default set");
        }
        return lines;
    }
}
