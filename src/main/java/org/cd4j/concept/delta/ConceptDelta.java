package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.TrainMode;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.StableDiffusion;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained Custom Diffusion concept in memory, whatever file it came from: the cross-attention
 * weights it sets by diffusers parameter name ({@link DeltaWeight}: absolute or low-rank change),
 * in order; the modifier tokens' embedding rows, in token order ({@code <new1>} first); and its
 * {@link DeltaInfo}. Files are read and written by {@link DeltaFiles}; {@link #applyTo} puts the
 * concept into a pipeline.
 *
 * <p>Immutable: the maps are unmodifiable and the tensors must not be changed by callers. The
 * constructor validates everything a file could get wrong: every key a cross-attention
 * parameter, ranks and shapes consistent within each attention module, one embedding width that
 * equals the key/value input width, and a training mode that covers the weights.
 */
public final class ConceptDelta {
    /** How the weights are stored, for the cd4j file's {@code weights} metadata. */
    public static final String FULL = "full", LOW_RANK = "low_rank", MIXED = "mixed";

    private final Map<String, DeltaWeight> weights;
    private final Map<String, Tensor> tokens;
    private final DeltaInfo info;

    /**
     * @param weights UNet weights by diffusers name, in order
     * @param tokens  modifier token → embedding row (D), in token order
     * @param info    metadata; a null train mode is inferred from the weight names
     * @throws IllegalArgumentException when the parts are inconsistent (the message says which key and why)
     */
    public ConceptDelta(Map<String, DeltaWeight> weights, Map<String, Tensor> tokens, DeltaInfo info) {
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
        if (this.weights.isEmpty() && this.tokens.isEmpty()) {
            throw new IllegalArgumentException("the delta holds no weight and no token");
        }
        TrainMode inferred = CrossAttnParams.inferMode(this.weights.keySet());
        if (info == null) info = DeltaInfo.empty();
        if (info.trainMode() == null) {
            info = info.withTrainMode(inferred);
        } else if (info.trainMode() == TrainMode.CROSSATTN_KV && inferred == TrainMode.CROSSATTN) {
            String extra = this.weights.keySet().stream().filter(k -> !CrossAttnParams.isKeyOrValue(k)).findFirst().orElse("");
            throw new IllegalArgumentException("train mode crossattn_kv holds only to_k/to_v weights, but the delta has " + extra);
        }
        this.info = info;
        long contextDim = checkWeights();
        checkTokens(contextDim);
    }

    /** Checks names and shapes; returns the common key/value input width, or -1 when no k/v. */
    private long checkWeights() {
        long contextDim = -1;
        String contextKey = null;
        Map<String, Map<String, long[]>> byModule = new LinkedHashMap<>();
        for (Map.Entry<String, DeltaWeight> e : weights.entrySet()) {
            String name = e.getKey();
            CrossAttnParams.check(name, "delta");
            DeltaWeight w = e.getValue();
            long[] shape = w.shape();
            boolean bias = name.endsWith(".bias");
            if (bias && (w.isLowRank() || shape.length != 1)) {
                throw new IllegalArgumentException(name + " must be a full 1-d bias, got " + w);
            }
            if (!bias && shape.length != 2) {
                throw new IllegalArgumentException(name + " must be a 2-d weight, got shape " + Arrays.toString(shape));
            }
            byModule.computeIfAbsent(CrossAttnParams.module(name), k -> new LinkedHashMap<>())
                    .put(CrossAttnParams.suffix(name), shape);
            if (CrossAttnParams.isKeyOrValue(name)) {
                if (contextDim >= 0 && shape[1] != contextDim) {
                    throw new IllegalArgumentException(name + " reads " + shape[1] + "-wide text states but "
                            + contextKey + " reads " + contextDim + "-wide ones");
                }
                contextDim = shape[1];
                contextKey = name;
            }
        }
        for (Map.Entry<String, Map<String, long[]>> m : byModule.entrySet()) checkModule(m.getKey(), m.getValue());
        return contextDim;
    }

    /** Within one attention module: k, v, q output widths agree with to_out's input, to_out's output with its bias. */
    private static void checkModule(String module, Map<String, long[]> s) {
        long inner = -1;
        String innerKey = null;
        for (String k : List.of("to_k.weight", "to_v.weight", "to_q.weight")) {
            long[] shape = s.get(k);
            if (shape == null) continue;
            if (inner >= 0 && shape[0] != inner) {
                throw new IllegalArgumentException(module + "." + k + " has " + shape[0] + " outputs but " + module
                        + "." + innerKey + " has " + inner);
            }
            inner = shape[0];
            innerKey = k;
        }
        long[] out = s.get("to_out.0.weight");
        if (out != null && inner >= 0 && out[1] != inner) {
            throw new IllegalArgumentException(module + ".to_out.0.weight has " + out[1] + " inputs but "
                    + module + "." + innerKey + " has " + inner + " outputs");
        }
        long[] bias = s.get("to_out.0.bias");
        if (out != null && bias != null && bias[0] != out[0]) {
            throw new IllegalArgumentException(module + ".to_out.0.bias has " + bias[0] + " elements, expected "
                    + out[0] + " (to_out.0.weight's outputs)");
        }
    }

    private void checkTokens(long contextDim) {
        long dim = -1;
        for (Map.Entry<String, Tensor> e : tokens.entrySet()) {
            String t = e.getKey();
            if (t == null || t.isEmpty() || !t.strip().equals(t)) {
                throw new IllegalArgumentException("modifier token '" + t + "' is empty or has surrounding spaces");
            }
            Tensor row = e.getValue();
            if (row.dim() != 1 || !Tensors.dtype(row).isFloatingPoint()) {
                throw new IllegalArgumentException("the embedding of " + t + " must be one floating-point row (D), got "
                        + Tensors.dtype(row) + Arrays.toString(Tensors.shape(row)));
            }
            if (dim >= 0 && row.size(0) != dim) {
                throw new IllegalArgumentException("the embedding of " + t + " has " + row.size(0)
                        + " values but the others have " + dim);
            }
            dim = row.size(0);
        }
        if (dim >= 0 && contextDim >= 0 && dim != contextDim) {
            throw new IllegalArgumentException("token embeddings have " + dim + " values but the cross-attention"
                    + " weights read " + contextDim + "-wide text states; they cannot come from one model");
        }
    }

    /** UNet weights by diffusers parameter name, in order. */
    public Map<String, DeltaWeight> weights() {
        return weights;
    }

    /** Modifier token → embedding row (D), in token order. */
    public Map<String, Tensor> tokens() {
        return tokens;
    }

    /** The modifier tokens in order. */
    public List<String> modifierTokens() {
        return List.copyOf(tokens.keySet());
    }

    public DeltaInfo info() {
        return info;
    }

    /** The training mode (recorded, or inferred from the weight names). */
    public TrainMode trainMode() {
        return info.trainMode();
    }

    /** {@link #FULL}, {@link #LOW_RANK} or {@link #MIXED}. */
    public String storage() {
        long low = weights.values().stream().filter(DeltaWeight::isLowRank).count();
        return low == 0 ? FULL : low == weights.size() ? LOW_RANK : MIXED;
    }

    /** Whether any weight is stored as low-rank factors. */
    public boolean hasLowRank() {
        return weights.values().stream().anyMatch(DeltaWeight::isLowRank);
    }

    /** Stored elements of all weights and token rows. */
    public long storedElements() {
        long n = 0;
        for (DeltaWeight w : weights.values()) n += w.storedElements();
        for (Tensor t : tokens.values()) n += t.numel();
        return n;
    }

    /** The same weights and tokens with other metadata. */
    public ConceptDelta withInfo(DeltaInfo newInfo) {
        return new ConceptDelta(weights, tokens, newInfo);
    }

    /** Stamps the identity and name of the base model this delta belongs to ({@link BaseModel#identity}). */
    public ConceptDelta withBaseModel(BaseModel base) throws IOException {
        return withInfo(info.withBaseModel(base.identity(weights.keySet()), base.name()));
    }

    /**
     * Every low-rank weight turned into the absolute {@code W0 + u@v} (float32) with {@code W0}
     * from {@code base}, for formats that store absolute weights.
     */
    public ConceptDelta expanded(BaseModel base) throws IOException {
        if (!hasLowRank()) return this;
        Map<String, DeltaWeight> out = new LinkedHashMap<>();
        for (Map.Entry<String, DeltaWeight> e : weights.entrySet()) {
            DeltaWeight w = e.getValue();
            out.put(e.getKey(), w.isLowRank() ? w.expanded(base.weight(e.getKey())) : w);
        }
        return new ConceptDelta(out, tokens, info);
    }

    /**
     * Puts this concept into {@code sd}: adds the tokens and sets the weights
     * (see {@link DeltaApplier}).
     *
     * @param strength 1 applies the delta as trained; 0 only adds the tokens
     * @param force    apply even if the delta records another base model
     * @param source   the file name, for messages
     */
    public DeltaApplier.Result applyTo(StableDiffusion sd, double strength, boolean force, String source) throws IOException {
        return DeltaApplier.apply(sd, List.of(new DeltaApplier.Entry(this, strength, source)), force).get(0);
    }

    /** Bit-for-bit equality of weights and tokens (names, order, dtypes, values) and of the metadata. */
    public boolean contentEquals(ConceptDelta o) {
        return sameTensors(o) && info.equals(o.info);
    }

    /** Bit-for-bit equality of weights and tokens (names, order, dtypes, values), metadata ignored. */
    public boolean sameTensors(ConceptDelta o) {
        if (!List.copyOf(weights.keySet()).equals(List.copyOf(o.weights.keySet()))) return false;
        if (!List.copyOf(tokens.keySet()).equals(List.copyOf(o.tokens.keySet()))) return false;
        for (String k : weights.keySet()) if (!weights.get(k).contentEquals(o.weights.get(k))) return false;
        for (String k : tokens.keySet()) if (!DeltaWeight.sameTensor(tokens.get(k), o.tokens.get(k))) return false;
        return true;
    }

    @Override
    public String toString() {
        return "ConceptDelta[" + weights.size() + " weight(s), " + storage() + ", tokens " + tokens.keySet()
                + ", " + info.trainMode().id + "]";
    }
}
