package org.cd4j.concept.merge;

/**
 * A modifier token as the merge renames it: inputs' tokens become {@code <new1>, <new2>, …} in
 * input order (each input's own order kept), so two deltas that both call their concept
 * {@code <new1>} can be merged (reference §0.10; the reference keeps only one token per input).
 *
 * @param source   the input's file name
 * @param original the token in that input
 * @param renamed  the token in the merged delta
 */
public record RenamedToken(String source, String original, String renamed) {
    @Override
    public String toString() {
        return original + " of " + source + " -> " + renamed;
    }
}
