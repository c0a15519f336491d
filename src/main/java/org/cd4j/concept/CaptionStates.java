package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.F;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.StableDiffusion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The text encoder's last hidden states for a batch's captions. A caption holding a trained
 * modifier token moves as the token's embedding trains, so these captions are encoded at every
 * step, together and with gradients. Any other caption (every class caption: it may not hold a
 * modifier token) has states that never change: each is encoded on its own (batch of one, no
 * gradients) and, with reuse on, only the first time it is seen. Reuse gives exactly the values a
 * fresh encoding gives, so a run with it equals a run without it bit for bit.
 */
final class CaptionStates implements AutoCloseable {
    private final StableDiffusion sd;
    private final int firstTrained;
    private final int trainedCount;
    private final boolean reuse;
    private final Map<String, Tensor> fixed = new HashMap<>();
    private int encodedFixed;

    /**
     * @param tokens the trained modifier tokens, or null when no token trains
     * @param reuse keep the states of captions without a trained token for the whole run
     */
    CaptionStates(StableDiffusion sd, ModifierTokens tokens, boolean reuse) {
        this.sd = sd;
        this.firstTrained = tokens == null ? 0 : tokens.firstId();
        this.trainedCount = tokens == null ? 0 : tokens.tokens().size();
        this.reuse = reuse;
    }

    /** (B, T, D): the states of {@code prompts}, in order. */
    Tensor states(List<String> prompts) {
        int n = prompts.size();
        int[][] ids = new int[n][];
        List<Integer> live = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids[i] = sd.tokenizer().encode(prompts.get(i));
            if (holdsTrainedToken(ids[i])) live.add(i);
        }
        Tensor liveStates = null;
        if (!live.isEmpty()) {
            int[][] liveIds = new int[live.size()][];
            for (int j = 0; j < liveIds.length; j++) liveIds[j] = ids[live.get(j)];
            liveStates = encode(liveIds); // (L, T, D), with gradients to the token rows
        }
        Tensor[] rows = new Tensor[n];
        for (int i = 0, j = 0; i < n; i++) {
            if (j < live.size() && live.get(j) == i) rows[i] = liveStates.narrow(0, j++, 1); // (1, T, D)
            else rows[i] = fixedStates(prompts.get(i), ids[i]);
        }
        if (live.size() == n) return liveStates;
        return n == 1 ? rows[0] : F.cat(0, rows);
    }

    /** Captions without a trained token encoded so far (each once when reused). */
    int fixedEncodes() {
        return encodedFixed;
    }

    private boolean holdsTrainedToken(int[] ids) {
        for (int id : ids) {
            if (id >= firstTrained && id < firstTrained + trainedCount) return true;
        }
        return false;
    }

    private Tensor fixedStates(String prompt, int[] ids) {
        Tensor s = reuse ? fixed.get(prompt) : null;
        if (s != null) return s;
        encodedFixed++;
        try (NoGradGuard g = new NoGradGuard()) {
            s = encode(new int[][] {ids});
        }
        if (reuse) {
            s.retainReference(); // outlives the step's PointerScope; released by close()
            fixed.put(prompt, s);
        }
        return s;
    }

    private Tensor encode(int[][] ids) {
        int len = sd.tokenizer().maxLength();
        long[] all = new long[ids.length * len];
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < len; j++) all[i * len + j] = ids[i][j];
        }
        return sd.textEncoder().forward(Tensors.fromLongs(all, ids.length, len)).lastHiddenState();
    }

    /** Releases the reused states. */
    @Override
    public void close() {
        for (Tensor t : fixed.values()) t.releaseReference();
        fixed.clear();
    }
}
