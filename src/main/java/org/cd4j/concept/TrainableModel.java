package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.text.ClipTextModel;
import org.cd4j.unet.Attention;
import org.cd4j.unet.SdpaAttentionProcessor;
import org.cd4j.unet.UNet2DConditionModel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Stable Diffusion model set up for Custom Diffusion: everything frozen except the UNet
 * weights of {@link TrainMode} (cross-attention; for the baselines every UNet weight, or none)
 * and the modifier tokens' embedding rows; the Custom Diffusion attention processor
 * (start-of-text key/value gradient cut) on every attention module, in every mode. Frozen
 * weights never get {@code requires_grad}, so backward computes no weight gradient for them.
 *
 * <p>The token rows train as their own (n, D) tensor that the text encoder reads for those ids
 * (see {@link ClipTextModel#setTrainableTokenRows}); no other row gets a gradient or weight
 * decay, fixing reference §0.5 and §0.6. {@link #writeBackTokens} copies them into the table.
 */
public final class TrainableModel {
    /** Name of the token-rows tensor in {@link #parameters()} and checkpoints. */
    public static final String TOKEN_ROWS = "text_encoder.modifier_token_rows";

    private final StableDiffusion sd;
    private final ModifierTokens tokens;
    private final TrainMode mode;
    private final Tensor tokenRows;
    private final Map<String, Tensor> unetParams = new LinkedHashMap<>();

    private TrainableModel(StableDiffusion sd, ModifierTokens tokens, TrainMode mode, Tensor tokenRows) {
        this.sd = sd;
        this.tokens = tokens;
        this.mode = mode;
        this.tokenRows = tokenRows;
    }

    /**
     * Freezes {@code sd}, marks the trained weights, installs the processors and the token rows.
     *
     * @param tokens the modifier tokens already added to the model, or null to train no token
     */
    public static TrainableModel prepare(StableDiffusion sd, ModifierTokens tokens, TrainMode mode) {
        sd.unet().requiresGrad(false);
        sd.textEncoder().requiresGrad(false);
        sd.vae().requiresGrad(false);
        Tensor rows = null;
        if (tokens != null) {
            try (NoGradGuard g = new NoGradGuard()) {
                rows = sd.textEncoder().tokenEmbedding().narrow(0, tokens.firstId(), tokens.tokens().size()).clone();
            }
            rows.requires_grad_(true);
            sd.textEncoder().setTrainableTokenRows(tokens.firstId(), rows);
        }
        TrainableModel m = new TrainableModel(sd, tokens, mode, rows);
        UNet2DConditionModel unet = sd.unet();
        for (Map.Entry<String, Tensor> e : unet.namedParameters().entrySet()) {
            if (mode.trains(e.getKey())) {
                e.getValue().requires_grad_(true);
                m.unetParams.put(e.getKey(), e.getValue());
            }
        }
        if (m.unetParams.isEmpty() && mode != TrainMode.ALL) {
            throw new IllegalStateException("the UNet has no cross-attention weights to train");
        }
        if (mode == TrainMode.ALL && rows == null) {
            throw new IllegalArgumentException("--freeze-model all trains only the modifier tokens, but there is none");
        }
        for (Attention a : unet.attentions().values()) a.setProcessor(CustomDiffusionAttnProcessor.INSTANCE);
        return m;
    }

    /** Every trained tensor by name: {@value #TOKEN_ROWS} first (if any), then {@code unet.<param>}. */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (tokenRows != null) out.put(TOKEN_ROWS, tokenRows);
        unetParams.forEach((k, v) -> out.put("unet." + k, v));
        return out;
    }

    /** The trained UNet weights by state-dict name (live tensors). */
    public Map<String, Tensor> unetParameters() {
        return Collections.unmodifiableMap(unetParams);
    }

    /** The (n, D) modifier-token rows being trained, or null. */
    public Tensor tokenRows() {
        return tokenRows;
    }

    public ModifierTokens tokens() {
        return tokens;
    }

    public TrainMode mode() {
        return mode;
    }

    public StableDiffusion model() {
        return sd;
    }

    /** Copies the trained token rows into the text encoder's embedding table. */
    public void writeBackTokens() {
        if (tokenRows == null) return;
        try (NoGradGuard g = new NoGradGuard()) {
            sd.textEncoder().tokenEmbedding().narrow(0, tokens.firstId(), tokenRows.size(0)).copy_(tokenRows);
        }
    }

    /**
     * Ends training: token rows written back, the text encoder reads its table again, default
     * attention processors, nothing requires gradients. The model then generates with the concept.
     */
    public void finish() {
        writeBackTokens();
        sd.textEncoder().setTrainableTokenRows(0, null);
        for (Attention a : sd.unet().attentions().values()) a.setProcessor(SdpaAttentionProcessor.INSTANCE);
        for (Tensor p : unetParams.values()) p.requires_grad_(false);
    }
}
