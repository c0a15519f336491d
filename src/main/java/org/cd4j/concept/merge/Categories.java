package org.cd4j.concept.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.concept.data.Concept;
import org.cd4j.concept.data.ConceptsList;
import org.cd4j.concept.delta.ConceptDelta;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The category (class word) of each merged concept: from {@code --categories}, {@code +}-separated
 * with one entry per input delta in input order, as the reference's {@code --categories}; or from
 * each delta's training metadata.
 *
 * <p>An input with several tokens is one concept described by all of them
 * ({@code "<new2> <new3> dog"}) when its entry is one category; a jointly trained delta whose
 * tokens are separate concepts gives one category per token, {@code |}-separated in token order
 * ({@code "wooden pot+cat|dog"}: input 2's first token is a cat, its second a dog).
 */
public final class Categories {
    /** The categories given or found do not fit the inputs: a usage error (the message says how to fix it). */
    public static final class CategoryException extends IllegalArgumentException {
        public CategoryException(String message) {
            super(message);
        }
    }

    private Categories() {}

    /**
     * Splits {@code spec} into per-input lists (each of size 1, or the input's token count).
     *
     * @param inputs  the deltas, in input order
     * @param sources their file names, for messages
     * @throws IllegalArgumentException when the counts do not match or an entry is empty
     */
    public static List<List<String>> parse(String spec, List<ConceptDelta> inputs, List<String> sources) {
        String[] parts = spec.split("\\+", -1);
        if (parts.length != inputs.size()) {
            throw new CategoryException("--categories '" + spec + "' names " + parts.length + " categor"
                    + (parts.length == 1 ? "y" : "ies") + " but " + inputs.size() + " deltas are merged; give one per --delta,"
                    + " '+'-separated in the same order (e.g. \"wooden pot+cat\")");
        }
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            List<String> cats = Arrays.stream(parts[i].split("\\|", -1)).map(String::strip).toList();
            if (cats.stream().anyMatch(String::isEmpty)) {
                throw new CategoryException("--categories '" + spec + "': the category of " + sources.get(i) + " is empty");
            }
            int tokens = inputs.get(i).tokens().size();
            if (cats.size() > 1 && cats.size() != tokens) {
                throw new CategoryException("--categories '" + spec + "': " + sources.get(i) + " has " + tokens
                        + " token(s) " + inputs.get(i).modifierTokens() + " but " + cats.size() + " '|'-separated categories;"
                        + " give one category for the whole delta or one per token");
            }
            out.add(cats);
        }
        return out;
    }

    /**
     * The categories a delta's training metadata records: the class prompt of a single-concept
     * run; the per-token categories of a delta made by {@link ConceptMerger}; or — for a
     * {@code --concepts-list} run whose list is still readable — each token's concept's class
     * prompt (the concept whose instance prompt holds the token).
     *
     * @return the categories (size 1 or the token count), or null when the metadata does not say
     */
    public static List<String> fromMetadata(ConceptDelta d) {
        JsonNode training;
        try {
            training = new ObjectMapper().readTree(d.info().training());
        } catch (Exception e) {
            return null;
        }
        String classPrompt = text(training, "class-prompt");
        if (classPrompt != null) return List.of(classPrompt);
        JsonNode merged = training == null ? null : training.get("merge-categories"); // written by ConceptMerger
        if (merged != null && merged.isArray() && merged.size() == d.tokens().size() && merged.size() > 0) {
            List<String> out = new ArrayList<>();
            for (JsonNode c : merged) {
                if (!c.isTextual() || c.asText().isBlank()) return null;
                out.add(c.asText().strip());
            }
            return out;
        }
        String list = text(training, "concepts-list");
        if (list == null || !Files.isRegularFile(Path.of(list))) return null;
        try {
            List<Concept> concepts = ConceptsList.load(Path.of(list));
            List<String> out = new ArrayList<>();
            for (String token : d.modifierTokens()) {
                String found = null;
                for (Concept c : concepts) {
                    if (c.instancePrompt().contains(token) && c.classPrompt() != null && !c.classPrompt().isBlank()) {
                        found = c.classPrompt();
                        break;
                    }
                }
                if (found == null) return null;
                out.add(found);
            }
            return out.isEmpty() ? null : out;
        } catch (Exception e) {
            return null;
        }
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n == null ? null : n.get(key);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText().strip() : null;
    }
}
