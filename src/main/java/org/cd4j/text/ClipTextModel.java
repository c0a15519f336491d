package org.cd4j.text;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CLIP text encoder of Stable Diffusion: transformers' {@code CLIPTextModel} (4.34), with
 * parameter names equal to its state-dict keys ({@code text_model.embeddings.token_embedding.weight},
 * {@code text_model.encoder.layers.0.self_attn.q_proj.weight}, ...,
 * {@code text_model.final_layer_norm.weight}).
 *
 * <p>Nothing here switches gradients off: Custom Diffusion backpropagates through the whole
 * encoder into the new rows of the token embedding. Callers that only infer wrap the call in a
 * {@code NoGradGuard} themselves.
 */
public final class ClipTextModel extends Module {
    /**
     * Checkpoint keys that are accepted and skipped: the {@code position_ids} buffer older
     * transformers versions saved (always {@code arange(77)}), and the projection of
     * {@code CLIPTextModelWithProjection}, which Stable Diffusion's conditioning does not use.
     */
    public static final Set<String> IGNORED_KEYS = Set.of("text_model.embeddings.position_ids", "text_projection.weight");

    /**
     * What {@link #forward} returns (transformers' {@code BaseModelOutputWithPooling} with
     * {@code output_hidden_states=True}).
     *
     * @param lastHiddenState (B, T, D) the last layer's output after {@code final_layer_norm}: the
     *                        prompt embeddings Stable Diffusion conditions on
     * @param pooledOutput    (B, D) the row of {@code lastHiddenState} at the end token (see {@link #pool})
     * @param hiddenStates    N+1 tensors (B, T, D): the embeddings, then each layer's output (no final LN)
     */
    public record Output(Tensor lastHiddenState, Tensor pooledOutput, List<Tensor> hiddenStates) {
        /** {@code hidden_states[0]}: token plus position embeddings. */
        public Tensor embeddings() {
            return hiddenStates.get(0);
        }

        /**
         * {@code hidden_states[-2]}: the second-to-last layer's output without the final LayerNorm
         * ("clip skip"; with one layer, the embeddings).
         */
        public Tensor penultimate() {
            return hiddenStates.get(hiddenStates.size() - 2);
        }
    }

    private ClipTextConfig config;
    private final ClipTextTransformer textModel;

    /** A model with zero weights, to be filled by {@link #loadStateDict}. */
    public ClipTextModel(ClipTextConfig config, DType dtype) {
        super(dtype);
        this.config = config;
        this.textModel = child("text_model", new ClipTextTransformer(config, dtype));
    }

    /** The configuration; {@code vocabSize} follows {@link #resizeTokenEmbeddings}. */
    public ClipTextConfig config() {
        return config;
    }

    /**
     * Encodes token ids.
     *
     * @param inputIds (B, T) int64 ids, {@code T <= max_position_embeddings}; no attention mask,
     *                 as Stable Diffusion's pipelines call it (padding is attended to, causally)
     */
    public Output forward(Tensor inputIds) {
        checkIds(inputIds);
        inputIds = device().put(inputIds); // ids are made on the CPU
        List<Tensor> states = textModel.hiddenStates(inputIds);
        Tensor last = finalLayerNorm(states.get(states.size() - 1));
        return new Output(last, pool(last, inputIds), List.copyOf(states));
    }

    /**
     * Applies {@code final_layer_norm}, e.g. to {@link Output#penultimate()} for diffusers'
     * {@code clip_skip} convention, which normalises the chosen hidden state.
     */
    public Tensor finalLayerNorm(Tensor hidden) {
        return textModel.finalLayerNorm.forward(hidden);
    }

    /**
     * transformers' pooling: the row at the end token of each sequence. With
     * {@code eos_token_id == 2} (every SD-1/SD-2 config, whose real end token is the largest id)
     * it is the position of the largest id, {@code argmax(ids)} — the legacy rule, which picks a
     * modifier token added after the end token if the prompt holds one; otherwise the first
     * position of {@code eos_token_id} (position 0 when absent). Ties resolve to the first index.
     *
     * @param lastHiddenState (B, T, D)
     * @param inputIds        (B, T)
     * @return (B, D)
     */
    public Tensor pool(Tensor lastHiddenState, Tensor inputIds) {
        long b = lastHiddenState.size(0);
        long d = lastHiddenState.size(2);
        Tensor keyed = config.eosTokenId() == 2
                ? inputIds.to(torch.ScalarType.Int)
                : inputIds.eq(new Scalar(config.eosTokenId())).to(torch.ScalarType.Int);
        Tensor idx = keyed.argmax(new LongOptional(-1), false); // (B,)
        Tensor gatherIdx = idx.view(b, 1, 1).expand(b, 1, d); // (B, 1, D)
        return lastHiddenState.gather(1, gatherIdx).squeeze(1); // (B, D)
    }

    private void checkIds(Tensor ids) {
        if (ids.dim() != 2) {
            throw new IllegalArgumentException("input ids must have shape (batch, tokens), got "
                    + Arrays.toString(Tensors.shape(ids)));
        }
        // Compare by value: JavaCPP hands back fresh ScalarType instances, so == on the enum fails.
        int st = ids.scalar_type().value;
        if (st != torch.ScalarType.Long.value && st != torch.ScalarType.Int.value) {
            throw new IllegalArgumentException("input ids must be int64, got " + ids.scalar_type());
        }
        long t = ids.size(1);
        if (t < 1 || t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens do not fit the text encoder (1 to "
                    + config.maxPositionEmbeddings() + " positions)");
        }
        if (ids.numel() > 0) {
            long min = ids.min().item_long();
            long max = ids.max().item_long();
            long rows = tokenEmbedding().size(0);
            if (min < 0 || max >= rows) {
                throw new IllegalArgumentException("token id " + (min < 0 ? min : max) + " is outside the text encoder's "
                        + rows + "-row embedding (added tokens need resizeTokenEmbeddings)");
            }
        }
    }

    /**
     * Training hook: token ids {@code firstId ..} are embedded from {@code rows} (n, D) instead of
     * the frozen table, so gradients reach exactly those rows (the forward value is the same when
     * the rows equal the table's). Pass null to return to the table.
     */
    public void setTrainableTokenRows(long firstId, Tensor rows) {
        textModel.embeddings.setTrainableRows(firstId, rows);
    }

    /** The live token-embedding weight (vocab, D): the parameter itself, not a copy. */
    public Tensor tokenEmbedding() {
        return textModel.embeddings.tokenEmbedding().weight();
    }

    /**
     * Resizes the token embedding to {@code newSize} rows, like transformers'
     * {@code resize_token_embeddings}: existing rows are kept, the weight becomes a new parameter
     * (take {@link #tokenEmbedding()} again afterwards) that keeps the old {@code requires_grad}.
     * Unlike transformers, which draws new rows from {@code normal(0, initializer_range)}, new rows
     * are zero: cd4j's callers always set them ({@link #setTokenEmbeddingRow}, from the
     * initializer tokens), and zeros keep the model deterministic without an RNG.
     */
    public void resizeTokenEmbeddings(int newSize) {
        if (newSize < 1) throw new IllegalArgumentException("embedding size must be positive, got " + newSize);
        textModel.embeddings.resizeTokenEmbedding(newSize);
        config = config.withVocabSize(newSize);
    }

    /**
     * Overwrites one row of the token embedding (outside autograd: it sets a parameter's value).
     *
     * @param row (D) or (1, D), any floating dtype (converted)
     */
    public void setTokenEmbeddingRow(long id, Tensor row) {
        Tensor w = tokenEmbedding();
        if (id < 0 || id >= w.size(0)) {
            throw new IllegalArgumentException("token id " + id + " is outside the " + w.size(0) + "-row embedding");
        }
        if (row.numel() != w.size(1) || row.dim() > 2 || (row.dim() == 2 && row.size(0) != 1)) {
            throw new IllegalArgumentException("embedding row must have shape (" + w.size(1) + "), got "
                    + Arrays.toString(Tensors.shape(row)));
        }
        try (NoGradGuard g = new NoGradGuard()) {
            w.select(0, id).copy_(row.reshape(w.size(1)));
        }
    }

    /**
     * Strict load of a transformers text-encoder state dict, skipping {@link #IGNORED_KEYS}.
     *
     * @param source the file name, for error messages
     */
    public void loadTextEncoderStateDict(Map<String, Tensor> stateDict, String source) {
        loadStateDict(stateDict, source, IGNORED_KEYS);
    }

    /**
     * Loads a diffusers {@code text_encoder/} folder: {@code config.json} and
     * {@code model.safetensors} (memory-mapped, converted to {@code dtype}).
     */
    public static ClipTextModel load(Path textEncoderDir, DType dtype) throws IOException {
        if (!Files.isDirectory(textEncoderDir)) {
            throw new NoSuchFileException(textEncoderDir.toString(), null, "not a text encoder folder");
        }
        ClipTextConfig config = ClipTextConfig.load(textEncoderDir.resolve("config.json"));
        Path weights = WeightFile.locate(textEncoderDir, "text encoder", "model", "pytorch_model");
        ClipTextModel model = new ClipTextModel(config, dtype);
        // safetensors tensors are views of the mapped file: keep it open until they are copied
        try (LoadedWeights w = WeightFile.loadFlat(weights)) {
            model.loadTextEncoderStateDict(w.tensors(), weights.toString());
        }
        return model;
    }
}
