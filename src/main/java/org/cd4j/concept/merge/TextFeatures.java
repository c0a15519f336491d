package org.cd4j.concept.merge;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The text features the merge constrains (reference §1.9 steps 2–3): every prompt is encoded by
 * the <em>base</em> text encoder in float32 with the merged concepts' tokens added, and the
 * per-token outputs ({@code last_hidden_state}, the keys/values' input) are stacked into rows.
 *
 * <p>Exactly as adobe's {@code src/diffusers_composenW.py} {@code get_text_embedding}: each
 * prompt is tokenised without padding (truncated to 77 ids), and its rows are taken from index 1
 * (after the start token) through the end token inclusive — or from index 4 when the substring
 * {@code "photo of a"} occurs in the prompt's first 15 characters, which skips the ids of
 * "photo of a" when each is one token (the slice is by position, so it is reproduced even when
 * they are not).
 */
public final class TextFeatures {
    /** Where {@link #firstRow} starts when the prompt does not begin with "photo of a". */
    static final int AFTER_START = 1;
    /** Where it starts when it does: after start, "photo", "of", "a". */
    static final int AFTER_PHOTO_OF_A = 4;
    private static final int BATCH = 32;

    private final ClipTokenizer tokenizer;
    private final ClipTextModel encoder;

    private TextFeatures(ClipTokenizer tokenizer, ClipTextModel encoder) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
    }

    /**
     * Loads the tokenizer and float32 text encoder of a model folder and adds {@code tokens} in
     * order (the first gets the id after the vocabulary, as {@code tokenizer.add_tokens} does).
     *
     * @param tokens new token → embedding row (D)
     */
    public static TextFeatures load(Path modelDir, Map<String, Tensor> tokens) throws IOException {
        ModelFolder f = ModelFolder.open(modelDir);
        ClipTokenizer tok = ClipTokenizer.load(f.tokenizer());
        ClipTextModel te = ClipTextModel.load(f.textEncoder(), DType.F32);
        List<Integer> ids = new ArrayList<>();
        for (String t : tokens.keySet()) {
            if (tok.tokenId(t).isPresent()) {
                throw new IllegalArgumentException("the model's tokenizer already has the token " + t
                        + "; the merge names its tokens <new1>, <new2> … and needs them free");
            }
            ids.add(tok.addToken(t));
        }
        if (!ids.isEmpty()) {
            int needed = ids.stream().mapToInt(Integer::intValue).max().getAsInt() + 1;
            if (te.tokenEmbedding().size(0) < needed) te.resizeTokenEmbeddings(needed);
            int i = 0;
            for (Tensor row : tokens.values()) te.setTokenEmbeddingRow(ids.get(i++), row);
        }
        return new TextFeatures(tok, te);
    }

    /** Width of a feature row (the text encoder's hidden size). */
    public int dim() {
        return encoder.config().hiddenSize();
    }

    /** The row a prompt's features start at: 4 if {@code "photo of a"} is in its first 15 characters, else 1. */
    public static int firstRow(String prompt) {
        return prompt.substring(0, Math.min(15, prompt.length())).contains("photo of a") ? AFTER_PHOTO_OF_A : AFTER_START;
    }

    /** The ids the reference encodes: start, content, end; truncated to {@code maxLength} ids with the end token kept. */
    int[] ids(String prompt) {
        int[] ids = tokenizer.encodeUnpadded(prompt);
        int max = tokenizer.maxLength();
        if (ids.length <= max) return ids;
        int[] cut = java.util.Arrays.copyOf(ids, max);
        cut[max - 1] = tokenizer.eosId();
        return cut;
    }

    /** The number of feature rows {@code prompt} contributes. */
    public int rowCount(String prompt) {
        return Math.max(0, ids(prompt).length - firstRow(prompt));
    }

    /**
     * The stacked feature rows of {@code prompts}, in order.
     *
     * @return (N, D) float64
     */
    public Tensor features(List<String> prompts) {
        List<Tensor> rows = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += BATCH) {
            rows.add(batch(prompts.subList(from, Math.min(prompts.size(), from + BATCH))));
        }
        if (rows.isEmpty()) return torch.zeros(new long[]{0, dim()}, Tensors.options(DType.F64));
        return rows.size() == 1 ? rows.get(0) : F.cat(rows, 0);
    }

    /**
     * The feature rows of each prompt encoded on its own (no padding at all, exactly the
     * reference's calls), stacked. Used for the few target prompts, so that identical prompts
     * give bit-identical rows and the duplicate-row removal sees them as the reference does.
     *
     * @return (N, D) float64
     */
    public Tensor featuresOneByOne(List<String> prompts) {
        List<Tensor> rows = new ArrayList<>();
        for (String p : prompts) rows.add(batch(List.of(p)));
        return rows.isEmpty() ? torch.zeros(new long[]{0, dim()}, Tensors.options(DType.F64)) : F.cat(rows, 0);
    }

    /**
     * Encodes up to {@link #BATCH} prompts at once. Shorter prompts are padded with the end token:
     * the text encoder's attention is causal and unmasked, so a position never sees the ones after
     * it and the rows up to each prompt's end token equal those of encoding it alone.
     */
    private Tensor batch(List<String> prompts) {
        List<int[]> all = new ArrayList<>();
        int longest = 0;
        for (String p : prompts) {
            int[] ids = ids(p);
            all.add(ids);
            longest = Math.max(longest, ids.length);
        }
        long[] flat = new long[prompts.size() * longest];
        java.util.Arrays.fill(flat, tokenizer.eosId());
        for (int i = 0; i < all.size(); i++) {
            int[] ids = all.get(i);
            for (int j = 0; j < ids.length; j++) flat[i * longest + j] = ids[j];
        }
        Tensor out;
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor hidden = encoder.forward(Tensors.fromLongs(flat, prompts.size(), longest)).lastHiddenState(); // (B, T, D)
            List<Tensor> rows = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                int start = firstRow(prompts.get(i)), end = all.get(i).length;
                if (start < end) rows.add(hidden.select(0, i).narrow(0, start, end - start)); // (n_i, D)
            }
            out = rows.isEmpty() ? torch.zeros(new long[]{0, dim()}, Tensors.options(DType.F64))
                    : F.cat(rows, 0).to(torch.ScalarType.Double).contiguous();
            out.retainReference();
        }
        return out;
    }
}
