package org.cd4j.concept.merge;

import org.cd4j.concept.delta.ConceptDelta;

import java.util.List;

/**
 * One delta to merge.
 *
 * @param delta      the concept (full or low-rank weights; low-rank ones are expanded with W0)
 * @param source     the file name, for messages and metadata
 * @param categories its category, or one per token when its tokens are separate concepts ({@link Categories})
 */
public record MergeInput(ConceptDelta delta, String source, List<String> categories) {
    public MergeInput {
        categories = List.copyOf(categories);
        if (categories.isEmpty()) throw new IllegalArgumentException(source + ": a category is required");
        if (categories.size() > 1 && categories.size() != delta.tokens().size()) {
            throw new IllegalArgumentException(source + " has " + delta.tokens().size() + " token(s) but "
                    + categories.size() + " categories; give one, or one per token");
        }
    }
}
