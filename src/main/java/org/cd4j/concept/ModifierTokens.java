package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The new tokens of a concept ({@code <new1>}, {@code <new2>} …): added to the tokenizer after
 * its last id, with embedding rows initialised from rare tokens as the diffusers trainers do
 * ({@code --initializer_token ktn+pll+ucd}: {@code <new1>} ← ktn, {@code <new2>} ← pll …).
 *
 * @param tokens       the modifier tokens in id order
 * @param initializers the token each one's embedding started from
 * @param firstId      id of the first modifier token; the others follow consecutively
 */
public record ModifierTokens(List<String> tokens, List<String> initializers, int firstId) {
    /** The diffusers default initializers. */
    public static final List<String> DEFAULT_INITIALIZERS = List.of("ktn", "pll", "ucd");

    public ModifierTokens {
        tokens = List.copyOf(tokens);
        initializers = List.copyOf(initializers);
    }

    /** Splits a {@code "<new1>+<new2>"} flag value, refusing empty or repeated tokens. */
    public static List<String> parse(String value, String flag) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException(flag + " is empty");
        List<String> out = new ArrayList<>();
        for (String t : value.split("\\+", -1)) {
            String s = t.strip();
            if (s.isEmpty()) throw new IllegalArgumentException(flag + " '" + value + "' has an empty entry");
            if (out.contains(s)) throw new IllegalArgumentException(flag + " names '" + s + "' twice");
            out.add(s);
        }
        return out;
    }

    /** Ids of the tokens, in order. */
    public int[] ids() {
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = firstId + i;
        return ids;
    }

    /**
     * Adds {@code tokens} to the tokenizer and text encoder. Each new row is a copy of its
     * initializer's row: the initializer is looked up as a raw vocabulary entry (what the
     * reference's {@code tokenizer.encode([init])} does, so {@code ktn} is id 42170 in CLIP),
     * or, if it is no entry, tokenized as text, which must give exactly one token.
     *
     * @throws IllegalArgumentException if a token is already in the vocabulary, if fewer
     *                                  initializers than tokens are given, or an initializer is not one token
     */
    public static ModifierTokens add(ClipTokenizer tokenizer, ClipTextModel textEncoder,
                                     List<String> tokens, List<String> initializers) {
        if (tokens.isEmpty()) throw new IllegalArgumentException("--modifier-token names no token");
        if (initializers.size() < tokens.size()) {
            throw new IllegalArgumentException("--initializer-token gives " + initializers.size() + " token(s) for "
                    + tokens.size() + " modifier token(s); give one per modifier token, e.g. \"ktn+pll+ucd\"");
        }
        for (String t : tokens) {
            // An added token is cut out of every prompt before BPE, so a string that is already a
            // word of the vocabulary ("cat" = cat</w>) would silently replace that word everywhere.
            if (tokenizer.tokenId(t).isPresent() || tokenizer.tokenId(t + "</w>").isPresent()
                    || tokenizer.addedTokens().contains(t)) {
                throw new IllegalArgumentException("modifier token '" + t + "' is already in the vocabulary;"
                        + " choose a new string such as <new1>");
            }
        }
        int[] initIds = new int[tokens.size()];
        for (int i = 0; i < tokens.size(); i++) initIds[i] = initializerId(tokenizer, initializers.get(i));
        int first = tokenizer.size();
        for (String t : tokens) tokenizer.addToken(t);
        textEncoder.resizeTokenEmbeddings(tokenizer.size());
        Tensor table = textEncoder.tokenEmbedding();
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < tokens.size(); i++) {
                textEncoder.setTokenEmbeddingRow(first + i, table.select(0, initIds[i]).clone());
            }
        }
        return new ModifierTokens(tokens, initializers.subList(0, tokens.size()), first);
    }

    static int initializerId(ClipTokenizer tokenizer, String init) {
        OptionalInt raw = tokenizer.tokenId(init);
        if (raw.isPresent()) return raw.getAsInt();
        int[] ids = tokenizer.encodeUnpadded(init);
        if (ids.length != 3) {
            throw new IllegalArgumentException("initializer token '" + init + "' is " + (ids.length - 2)
                    + " tokens; it must be a single token (e.g. ktn, pll, ucd)");
        }
        return ids[1];
    }

    /** Whether {@code prompt} contains at least one of the tokens. */
    public boolean mentionedIn(String prompt) {
        for (String t : tokens) if (prompt.contains(t)) return true;
        return false;
    }
}
