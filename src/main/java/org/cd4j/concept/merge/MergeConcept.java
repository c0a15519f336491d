package org.cd4j.concept.merge;

import java.util.List;

/**
 * One concept whose target features the merge reproduces exactly (reference §1.9 step 3): its
 * (renamed) modifier tokens and its category, from input {@code input}.
 *
 * @param input    index of the input delta it comes from (0-based, input order)
 * @param tokens   its tokens after renaming, in order; empty for a delta without tokens (the
 *                 reference allows those: the category text alone is constrained)
 * @param category the class word(s), e.g. {@code "wooden pot"}
 */
public record MergeConcept(int input, List<String> tokens, String category) {
    public MergeConcept {
        tokens = List.copyOf(tokens);
        if (category == null || category.isBlank()) {
            throw new IllegalArgumentException("concept " + (tokens.isEmpty() ? "#" + (input + 1) : String.join(" ", tokens))
                    + " needs a non-empty category (the class word, e.g. 'dog')");
        }
        category = category.strip();
    }

    /** {@code "<new1> wooden pot"} (tokens, then the category), or the category alone. */
    public String subject() {
        return tokens.isEmpty() ? category : String.join(" ", tokens) + " " + category;
    }

    /**
     * The two target prompts: the subject, and {@code "photo of a <subject>"} — or
     * {@code "painting in the style of <subject>"} when the subject contains {@code "art"}. The
     * reference tests the substring, so "cart" or "party hat" also count as art; kept for parity
     * (a merge must reproduce the reference's targets to give its weights).
     */
    public List<String> prompts() {
        String s = subject();
        return s.contains("art") ? List.of(s, "painting in the style of " + s) : List.of(s, "photo of a " + s);
    }
}
