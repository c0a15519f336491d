package org.cd4j.concept.delta;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Puts deltas into a loaded pipeline: their tokens are added to the tokenizer and the text
 * encoder (embedding resized, rows set), their weights written into the UNet
 * ({@code W0 + s·(W − W0)} for absolute weights, {@code W0 + s·u@v} for low-rank ones).
 *
 * <p>Everything is checked before anything changes, so a refused delta leaves the pipeline as it
 * was: shapes against the model (always; the first mismatched key is named with both shapes),
 * the recorded base-model identity (unless forced), tokens not already in the vocabulary, and —
 * for several deltas — no weight or token set by two of them (merging is {@code cd4j merge}'s job).
 */
public final class DeltaApplier {
    /**
     * One delta to apply.
     *
     * @param delta    the concept
     * @param strength 1 as trained; 0 adds only the tokens
     * @param source   the file name, for messages
     */
    public record Entry(ConceptDelta delta, double strength, String source) {
        public Entry {
            if (!Double.isFinite(strength)) throw new IllegalArgumentException("delta strength must be finite, got " + strength);
        }
    }

    /**
     * What applying one delta did.
     *
     * @param source   the file name
     * @param tokenIds each added token and its id
     * @param weights  the UNet parameters that were set
     * @param warnings notes for the user (e.g. no base-model identity to check)
     */
    public record Result(String source, Map<String, Integer> tokenIds, List<String> weights, List<String> warnings) {}

    private DeltaApplier() {}

    /**
     * Applies {@code entries} to {@code sd}, in order.
     *
     * @param force apply deltas that record another base model
     * @throws IllegalArgumentException when a delta does not fit the model or the deltas conflict
     */
    public static List<Result> apply(StableDiffusion sd, List<Entry> entries, boolean force) throws IOException {
        List<List<String>> warnings = new ArrayList<>();
        try (BaseModel base = BaseModel.of(sd)) {
            for (Entry e : entries) checkShapes(e.delta(), base, e.source());
            checkConflicts(entries, sd.tokenizer());
            for (Entry e : entries) warnings.add(checkIdentity(e, base, force));
        }
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) out.add(applyOne(sd, entries.get(i), warnings.get(i)));
        return out;
    }

    /**
     * Loads each file (any supported format, {@link DeltaFiles#load}) and applies them all at
     * strength 1, as {@code cd4j generate --delta} does.
     *
     * @param log receives warnings from reading and applying
     */
    public static List<Result> applyFiles(StableDiffusion sd, List<Path> files, boolean force, Consumer<String> log)
            throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (BaseModel base = BaseModel.of(sd)) {
            for (Path f : files) {
                LoadedDelta d = DeltaFiles.load(f, base);
                d.warnings().forEach(log);
                entries.add(new Entry(d.delta(), 1.0, f.toString()));
            }
        }
        List<Result> results = apply(sd, entries, force);
        for (Result r : results) r.warnings().forEach(log);
        return results;
    }

    /**
     * Refuses a delta whose weights or tokens do not fit {@code base}: a missing parameter, a
     * different shape (e.g. an SD-1 delta on SD-2, whose text states are 1024 wide) or a token
     * row of another width.
     */
    public static void checkShapes(ConceptDelta d, BaseModel base, String source) throws IOException {
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            long[] want = base.shape(e.getKey());
            if (want == null) {
                throw new IllegalArgumentException("delta " + source + " does not fit the model " + base.name()
                        + ": the UNet has no parameter " + e.getKey());
            }
            long[] got = e.getValue().shape();
            if (!Arrays.equals(want, got)) {
                throw new IllegalArgumentException("delta " + source + " does not fit the model " + base.name() + ": "
                        + e.getKey() + " is " + Arrays.toString(got) + " in the delta but " + Arrays.toString(want)
                        + " in the model (was it trained on another Stable Diffusion version?)");
            }
        }
        for (Map.Entry<String, Tensor> e : d.tokens().entrySet()) {
            if (e.getValue().size(0) != base.tokenDim()) {
                throw new IllegalArgumentException("delta " + source + " does not fit the model " + base.name()
                        + ": the embedding of " + e.getKey() + " has " + e.getValue().size(0) + " values but the text encoder's"
                        + " rows have " + base.tokenDim());
            }
        }
    }

    private static void checkConflicts(List<Entry> entries, ClipTokenizer tokenizer) {
        Map<String, String> weightOwner = new HashMap<>();
        Map<String, String> tokenOwner = new HashMap<>();
        for (Entry e : entries) {
            for (String w : e.delta().weights().keySet()) {
                String other = weightOwner.putIfAbsent(w, e.source());
                if (other != null) {
                    throw new IllegalArgumentException("deltas " + other + " and " + e.source() + " both change " + w
                            + "; merge them first with `cd4j merge`");
                }
            }
            for (String t : e.delta().tokens().keySet()) {
                String other = tokenOwner.putIfAbsent(t, e.source());
                if (other != null) {
                    throw new IllegalArgumentException("deltas " + other + " and " + e.source() + " both add the token " + t
                            + "; merge them with `cd4j merge` (which renames tokens) or train one with another --modifier-token");
                }
                if (tokenizer.tokenId(t).isPresent() || tokenizer.addedTokens().contains(t)) {
                    throw new IllegalArgumentException("delta " + e.source() + " adds the token " + t + ", which is already in"
                            + " the model's vocabulary (id " + tokenizer.tokenId(t).orElse(-1) + "); was a delta with this token"
                            + " applied already?");
                }
            }
        }
    }

    /** Refuses a delta trained on another base model unless forced; returns warnings. */
    private static List<String> checkIdentity(Entry e, BaseModel base, boolean force) throws IOException {
        List<String> warnings = new ArrayList<>();
        DeltaInfo info = e.delta().info();
        if (info.baseModelSha256() == null) {
            warnings.add("delta " + e.source() + " does not record its base model; cannot check it was trained on " + base.name());
            return warnings;
        }
        String here = base.identity(e.delta().weights().keySet());
        if (!here.equals(info.baseModelSha256())) {
            String named = info.baseModelName() == null ? "" : " of " + info.baseModelName();
            String msg = "delta " + e.source() + " was trained on another base model (sha256 " + info.baseModelSha256().substring(0, 12)
                    + "…" + named + ", this model " + here.substring(0, 12) + "… of " + base.name() + ")";
            if (!force) throw new IllegalArgumentException(msg + "; pass --force to apply it anyway");
            warnings.add(msg + "; applying it anyway (--force)");
        }
        return warnings;
    }

    private static Result applyOne(StableDiffusion sd, Entry e, List<String> warnings) {
        ConceptDelta d = e.delta();
        Map<String, Tensor> params = sd.unet().namedParameters();
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, DeltaWeight> w : d.weights().entrySet()) {
                Tensor p = params.get(w.getKey());
                p.copy_(w.getValue().applied(p, e.strength()));
            }
        }
        Map<String, Integer> ids = addTokens(sd.tokenizer(), sd.textEncoder(), d.tokens());
        return new Result(e.source(), ids, List.copyOf(d.weights().keySet()), warnings);
    }

    /** Adds tokens in order, resizes the embedding once and sets their rows. */
    private static Map<String, Integer> addTokens(ClipTokenizer tokenizer, ClipTextModel te, Map<String, Tensor> rows) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        if (rows.isEmpty()) return ids;
        for (String t : rows.keySet()) ids.put(t, tokenizer.addToken(t));
        int needed = ids.values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        if (te.tokenEmbedding().size(0) < needed) te.resizeTokenEmbeddings(needed);
        for (Map.Entry<String, Integer> id : ids.entrySet()) te.setTokenEmbeddingRow(id.getValue(), rows.get(id.getKey()));
        return ids;
    }
}
