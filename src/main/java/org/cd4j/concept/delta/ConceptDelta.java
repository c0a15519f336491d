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
import java.util.regex.Pattern;

/**
 * A trained Custom Diffusion concept in memory, whatever file it came from: the UNet weights it
 * sets by diffusers parameter name ({@link DeltaWeight}: absolute or low-rank change), in order;
 * the modifier tokens' embedding rows, in token order ({@code <new1>} first); and its
 * {@link DeltaInfo}. Files are read and written by {@link DeltaFiles}; {@link #applyTo} puts the
 * concept into a pipeline.
 *
 * <p>Immutable: the maps are unmodifiable and the tensors must not be changed by callers. The
 * constructor validates everything a file could get wrong against its training mode: a
 * cross-attention mode ({@code crossattn_kv}, {@code crossattn}) holds only cross-attention
 * parameters, with ranks and shapes consistent within each attention module and one embedding
 * width that equals the key/value input width; the baseline {@code none} (every UNet weight
 * trained) may hold any UNet parameter of any shape, checked against the base model's shapes
 * when applied ({@link DeltaApplier#checkShapes}); the baseline {@code all} (token embeddings
 * only) holds no weight.
 */
public final class ConceptDelta {
    /** How the weights are stored, for the cd4j file's {@code weights} metadata. */
    public static final String FULL = "full", LOW_RANK = "low_rank", MIXED = "mixed";

    /** A state-dict name: dot-separated segments of letters, digits and underscores. */
    private static final Pattern PARAM_NAME = Pattern.compile("\\w+(\\.\\w+)+");

    private final Map<String, DeltaWeight> weights;
    private final Map<String, Tensor> tokens;
    private final DeltaInfo info;

    /**
     * @param weights UNet weights by diffusers name, in order
     * @param tokens  modifier token → embedding row (D), in token order
     * @param info    metadata; a null train mode is inferred from the weight names ({@link CrossAttnParams#inferMode})
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
        if (info.trainMode() == null) info = info.withTrainMode(inferred);
        this.info = info;
        checkNames(info.trainMode(), inferred);
        long contextDim = checkWeights();
        checkTokens(contextDim);
    }

    /** Checks that the weight names fit the training mode. */
    private void checkNames(TrainMode mode, TrainMode inferred) {
        switch (mode) {
            case ALL -> {
                if (!weights.isEmpty()) {
                    throw new IllegalArgumentException("train mode all trains only the token embeddings, but the delta has"
                            + " the UNet weight " + weights.keySet().iterator().next());
                }
            }
            case NONE -> {
                for (String name : weights.keySet()) {
                    if (!PARAM_NAME.matcher(name).matches()) {
                        throw new IllegalArgumentException("'" + name + "' is not a UNet parameter name (expected e.g."
                                + " conv_in.weight or down_blocks.0.resnets.0.norm1.bias)");
                    }
                }
            }
            case CROSSATTN_KV, CROSSATTN -> {
                CrossAttnParams.checkAll(weights.keySet(), "delta");
                if (mode == TrainMode.CROSSATTN_KV && inferred == TrainMode.CROSSATTN) {
                    String extra = weights.keySet().stream().filter(k -> !CrossAttnParams.isKeyOrValue(k)).findFirst().orElse("");
                    throw new IllegalArgumentException("train mode crossattn_kv holds only to_k/to_v weights, but the delta has " + extra);
                }
            }
        }
    }

    /**
     * Checks the shapes of the cross-attention weights (the only ones a delta can check without
     * its base model); returns the common key/value input width, or -1 when no k/v.
     */
    private long checkWeights() {
        long contextDim = -1;
        String contextKey = null;
        Map<String, Map<String, long[]>> byModule = new LinkedHashMap<>();
        for (Map.Entry<String, DeltaWeight> e : weights.entrySet()) {
            String name = e.getKey();
            if (!CrossAttnParams.isValid(name)) continue; // another UNet weight of a 'none' delta (checkNames)
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

    /** The training mode (recorded, or inferred from the weight names; {@code all} when there is none). */
    public TrainMode trainMode() {
        return info.trainMode();
    }

    /**
     * Refuses a delta the reference formats cannot hold: they store only cross-attention weights,
     * so a {@code none} delta (every UNet weight) cannot be written as {@code format}.
     *
     * @param format the format's name for the message, e.g. "the adobe delta.bin"
     */
    public void requireCrossAttentionOnly(String format) {
        if (trainMode() != TrainMode.NONE) return;
        throw new IllegalArgumentException(format + " holds only cross-attention weights, but this delta was trained with"
                + " --freeze-model none (the full-UNet baseline: " + weights.size() + " UNet weights, " + storedElements()
                + " values); keep it as a cd4j delta (.cd4j.safetensors) or merge it into a full checkpoint (--to webui)");
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
