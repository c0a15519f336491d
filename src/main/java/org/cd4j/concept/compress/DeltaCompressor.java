package org.cd4j.concept.compress;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.TrainMode;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.CrossAttnParams;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.DeltaWeight;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compresses a delta the way the reference's {@code src/compress.py} does (reference §1.8): for
 * every key/value weight, {@code ΔW = W − W0} is replaced by a truncated SVD {@code u @ v}
 * ({@link LowRank}); other weights ({@code to_q}, {@code to_out} of a {@code crossattn} delta) and
 * the token rows are copied unchanged. The result is a low-rank {@link ConceptDelta} that every
 * writer and {@link DeltaApplier} handle ({@code W = W0 + u@v}). The baselines' deltas
 * ({@code --freeze-model none}, {@code all}) are refused: see {@link #checkMode}.
 */
public final class DeltaCompressor {
    /**
     * @param criterion how many singular triplets to keep
     * @param fp16Base  subtract {@code W0} rounded to float16, as the reference's diffusers mode does
     *                  (it loads the pretrained pipeline in fp16); exact float32 {@code W0} otherwise.
     *                  Only for parity with reference outputs: the rounding error (~1e-3 relative
     *                  of W0) then becomes part of the stored change.
     */
    public record Options(RankCriterion criterion, boolean fp16Base) {
        public Options {
            if (criterion == null) throw new IllegalArgumentException("a rank criterion is required");
        }

        /** The reference's default: ratio 0.6 against exact W0. */
        public static Options defaults() {
            return new Options(new RankCriterion.Ratio(RankCriterion.DEFAULT_RATIO), false);
        }
    }

    /**
     * @param delta    the compressed delta (stamped with the base model's identity)
     * @param report   per-layer ranks, errors and sizes
     * @param warnings things the user should know (a delta that was already low rank …)
     */
    public record Result(ConceptDelta delta, CompressionReport report, List<String> warnings) {
        public Result {
            warnings = List.copyOf(warnings);
        }
    }

    private DeltaCompressor() {}

    /**
     * Compresses {@code delta}, which must belong to {@code base}.
     *
     * @param source the file name, for messages
     * @throws IllegalArgumentException when the delta does not fit {@code base}, records another
     *                                  base model, or a fixed rank exceeds a matrix
     */
    public static Result compress(ConceptDelta delta, BaseModel base, Options options, String source) throws IOException {
        checkMode(delta, source);
        DeltaApplier.checkShapes(delta, base, source);
        String identity = base.identity(delta.weights().keySet());
        String recorded = delta.info().baseModelSha256();
        if (recorded != null && !recorded.equals(identity)) {
            throw new IllegalArgumentException("delta " + source + " was trained on another base model (sha256 "
                    + recorded.substring(0, 12) + "…" + (delta.info().baseModelName() == null ? "" : " of " + delta.info().baseModelName())
                    + ", --model " + base.name() + " is " + identity.substring(0, 12) + "…); compressing it would subtract the wrong W0");
        }
        List<String> warnings = new ArrayList<>();
        Map<String, DeltaWeight> out = new LinkedHashMap<>();
        List<LayerCompression> layers = new ArrayList<>();
        int relowered = 0;
        for (Map.Entry<String, DeltaWeight> e : delta.weights().entrySet()) {
            String name = e.getKey();
            DeltaWeight w = e.getValue();
            long[] shape = w.shape();
            long full = shape.length == 2 ? shape[0] * shape[1] : shape[0];
            if (!CrossAttnParams.isKeyOrValue(name)) {
                // The reference compresses only keys containing to_k/to_v and copies the rest as stored.
                out.put(name, w);
                layers.add(new LayerCompression(name, shape[0], shape.length == 2 ? shape[1] : 0, -1, -1, 0, 0,
                        w.storedElements(), full));
                continue;
            }
            if (w.isLowRank()) relowered++;
            LowRank lr;
            try (PointerScope scope = new PointerScope()) { // frees ΔW; LowRank keeps its factors
                lr = LowRank.of(change(w, base.weight(name), options.fp16Base()), options.criterion(), name);
            }
            out.put(name, DeltaWeight.lowRank(lr.u(), lr.v()));
            int maxRank = (int) Math.min(shape[0], shape[1]);
            layers.add(new LayerCompression(name, shape[0], shape[1], lr.rank(), maxRank, lr.changeNorm(),
                    lr.relativeError(), LayerCompression.factorParams(shape[0], shape[1], lr.rank()), full));
        }
        if (relowered > 0) {
            warnings.add("delta " + source + " is already compressed (" + relowered + " low-rank weight(s)); its product u@v"
                    + " was factorised again, so the error is measured against the compressed change, not the original training");
        }
        if (options.fp16Base() && relowered < layers.stream().filter(l -> !l.copied()).count()) {
            warnings.add("subtracting the float16-rounded base weights (reference parity): the rounding error of W0 is stored"
                    + " as part of the change");
        }
        CompressionReport report = new CompressionReport(options.criterion().describe(), layers);
        DeltaInfo info = delta.info().withBaseModel(identity, delta.info().baseModelName() != null
                ? delta.info().baseModelName() : base.name());
        info = info.withNotes(appendNote(info.notes(), note(options, report)));
        return new Result(new ConceptDelta(out, delta.tokens(), info), report, warnings);
    }

    /**
     * Refuses the baselines' deltas: a token-only one ({@code all}) has nothing to compress, and
     * in a full-UNet one ({@code none}) the key/value weights, the only ones factorised, are a
     * few percent of the file (SD-1.5: 19.2 M of 860 M parameters), so compressing would save
     * almost nothing while looking like it did something.
     */
    private static void checkMode(ConceptDelta delta, String source) {
        if (delta.trainMode() == TrainMode.ALL) {
            throw new IllegalArgumentException("delta " + source + " holds only token embeddings (--freeze-model all);"
                    + " there is no UNet weight to compress");
        }
        if (delta.trainMode() == TrainMode.NONE) {
            long all = 0, kv = 0;
            for (Map.Entry<String, DeltaWeight> e : delta.weights().entrySet()) {
                all += e.getValue().storedElements();
                if (CrossAttnParams.isValid(e.getKey()) && CrossAttnParams.isKeyOrValue(e.getKey())) kv += e.getValue().storedElements();
            }
            throw new IllegalArgumentException(String.format(Locale.ROOT, "delta %s was trained with --freeze-model none (the"
                    + " full-UNet baseline); cd4j compress factorises only the cross-attention key/value changes, which are"
                    + " %d of its %d parameters (%.1f%%), so it would hardly shrink; keep it as it is", source, kv, all,
                    100.0 * kv / Math.max(1, all)));
        }
    }

    /** ΔW of one weight: the stored factors' product, or {@code W − W0} (W0 optionally fp16-rounded). */
    static Tensor change(DeltaWeight w, Tensor w0, boolean fp16Base) {
        try (NoGradGuard g = new NoGradGuard()) {
            if (w.isLowRank()) {
                return w.u().to(torch.ScalarType.Double).matmul(w.v().to(torch.ScalarType.Double)); // (out, in)
            }
            Tensor base = fp16Base ? w0.to(torch.ScalarType.Half) : w0;
            return w.full().to(torch.ScalarType.Double).sub(base.to(torch.ScalarType.Double));
        }
    }

    /** The metadata note recording how the delta was compressed. */
    private static String note(Options options, CompressionReport r) {
        int min = r.layers().stream().filter(l -> !l.copied()).mapToInt(LayerCompression::rank).min().orElse(0);
        int max = r.layers().stream().filter(l -> !l.copied()).mapToInt(LayerCompression::rank).max().orElse(0);
        return String.format(Locale.ROOT, "compressed by cd4j compress %s, W0 %s: ranks %d..%d, %d of %d parameters,"
                        + " relative error %.3e", options.criterion().describe(),
                options.fp16Base() ? "rounded to float16 (reference parity)" : "exact", min, max, r.storedParams(),
                r.fullParams(), r.totalRelativeError());
    }

    static String appendNote(String notes, String line) {
        return notes == null || notes.isBlank() ? line : notes + "\n" + line;
    }
}
