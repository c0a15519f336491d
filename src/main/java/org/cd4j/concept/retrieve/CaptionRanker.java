package org.cd4j.concept.retrieve;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ranks captions by how close they are to a class prompt in the base model's CLIP text space:
 * the cosine similarity of their <b>pooled</b> features ({@code pooler_output}: the final,
 * layer-normalised state at the end token).
 *
 * <p>Why pooled and not the mean over tokens: CLIP was trained to put the whole sentence into
 * the end token (its text projection reads only that row), so it is the feature CLIP compares;
 * Stable Diffusion's encoders ship without that projection, but a fixed linear map preserves
 * which captions are near. A mean over the 77 rows is dominated by rows every prompt shares —
 * the start token's state (identical for all prompts under causal attention) and the padding
 * after the end — so unrelated captions come out nearly parallel. The query is encoded the same
 * way, so a caption equal to the class prompt scores 1.
 *
 * <p>Prompts are tokenised as the pipelines do (truncated to 77 ids with the end token kept).
 * A batch is cut after its longest prompt's end token: the encoder's attention is causal, so
 * the rows up to each end token equal those of the full 77-id encoding. Identical captions are
 * encoded once, so they score exactly alike and keep their collection order.
 */
public final class CaptionRanker {
    private static final int BATCH = 32;

    private final ClipTokenizer tokenizer;
    private final ClipTextModel encoder;

    public CaptionRanker(ClipTokenizer tokenizer, ClipTextModel encoder) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
    }

    /** The tokenizer and float32 text encoder of a diffusers model folder. */
    public static CaptionRanker load(Path modelDir) throws IOException {
        ModelFolder f = ModelFolder.open(modelDir);
        return new CaptionRanker(ClipTokenizer.load(f.tokenizer()), ClipTextModel.load(f.textEncoder(), DType.F32));
    }

    /** A caption's place in the ranking. */
    public record Ranked(int index, double similarity) {}

    /**
     * Every caption's index, by decreasing cosine similarity to {@code query}; equal scores keep
     * list order, so the ranking is fully determined by its input.
     */
    public List<Ranked> rank(String query, List<String> captions) {
        List<String> all = new ArrayList<>(captions.size() + 1);
        all.add(query);
        all.addAll(captions);
        double[][] f = features(all);
        List<Ranked> out = new ArrayList<>(captions.size());
        for (int i = 0; i < captions.size(); i++) out.add(new Ranked(i, dot(f[0], f[i + 1])));
        out.sort((a, b) -> a.similarity() != b.similarity() ? Double.compare(b.similarity(), a.similarity())
                : Integer.compare(a.index(), b.index()));
        return out;
    }

    /**
     * The unit-length pooled feature of every text.
     *
     * @return (N, D)
     */
    public double[][] features(List<String> texts) {
        Map<String, Integer> distinct = new LinkedHashMap<>();
        for (String t : texts) distinct.putIfAbsent(t, distinct.size());
        List<String> unique = new ArrayList<>(distinct.keySet());
        double[][] byUnique = new double[unique.size()][];
        for (int from = 0; from < unique.size(); from += BATCH) {
            List<String> b = unique.subList(from, Math.min(unique.size(), from + BATCH));
            double[][] e = encode(b);
            System.arraycopy(e, 0, byUnique, from, e.length);
        }
        double[][] out = new double[texts.size()][];
        for (int i = 0; i < texts.size(); i++) out[i] = byUnique[distinct.get(texts.get(i))];
        return out;
    }

    /** Pooled features of up to {@link #BATCH} texts, normalised to unit length. */
    private double[][] encode(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        int len = 1;
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenizer.encode(texts.get(i)); // 77 ids: start, content, end, padding
            len = Math.max(len, endPosition(ids[i]) + 1);
        }
        // Cutting the padding is exact only while no padding id outranks the end token, which
        // transformers' argmax pooling would then pick (never so for SD tokenizers).
        if (tokenizer.padId() > tokenizer.eosId()) len = tokenizer.maxLength();
        long[] flat = new long[ids.length * len];
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < len; j++) flat[i * len + j] = ids[i][j];
        }
        float[] pooled;
        int d = encoder.config().hiddenSize();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            pooled = Tensors.toFloats(encoder.forward(Tensors.fromLongs(flat, ids.length, len)).pooledOutput()); // (B, D)
        }
        double[][] out = new double[ids.length][d];
        for (int i = 0; i < ids.length; i++) {
            double norm = 0;
            for (int k = 0; k < d; k++) norm += (double) pooled[i * d + k] * pooled[i * d + k];
            norm = Math.sqrt(norm);
            for (int k = 0; k < d; k++) out[i][k] = norm == 0 ? 0 : pooled[i * d + k] / norm;
        }
        return out;
    }

    /** Index of the first end token after the start. */
    private int endPosition(int[] ids) {
        for (int j = 1; j < ids.length; j++) if (ids[j] == tokenizer.eosId()) return j;
        return ids.length - 1;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += a[k] * b[k];
        return s;
    }
}
