package org.cd4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.io.JsonFields;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The CLIP text encoder's {@code text_encoder/config.json} (transformers {@code CLIPTextConfig}),
 * with the same field meanings and the same defaults for absent fields. Validated on
 * construction, so a model is never built from an impossible configuration.
 *
 * <p>{@code eosTokenId} also selects the pooling rule (see {@link ClipTextModel}): transformers
 * keeps its old "argmax of the ids" rule for configs that say {@code eos_token_id: 2}, which
 * every SD-1/SD-2 checkpoint does although its real end token is 49407.
 *
 * @param hiddenSize            width of the residual stream ({@code hidden_size})
 * @param intermediateSize      MLP hidden width ({@code intermediate_size})
 * @param numHiddenLayers       number of encoder layers ({@code num_hidden_layers})
 * @param numAttentionHeads     attention heads per layer ({@code num_attention_heads})
 * @param maxPositionEmbeddings longest token sequence ({@code max_position_embeddings}, 77)
 * @param vocabSize             rows of the token embedding ({@code vocab_size})
 * @param hiddenAct             MLP activation ({@code hidden_act}: quick_gelu (SD-1), gelu (SD-2), ...)
 * @param layerNormEps          epsilon of every LayerNorm ({@code layer_norm_eps})
 * @param bosTokenId            {@code bos_token_id}
 * @param eosTokenId            {@code eos_token_id}; 2 selects the legacy pooling rule
 * @param padTokenId            {@code pad_token_id}
 * @param projectionDim         {@code projection_dim}; unused by the text model itself
 */
public record ClipTextConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                             int maxPositionEmbeddings, int vocabSize, String hiddenAct, double layerNormEps,
                             long bosTokenId, long eosTokenId, long padTokenId, int projectionDim) {

    /** The activations the MLP supports (names as in transformers' {@code ACT2FN}). */
    public static final Set<String> ACTIVATIONS = Set.of("quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu");

    /** The model classes whose {@code text_model.*} weights this model reads. */
    public static final Set<String> ARCHITECTURES = Set.of("CLIPTextModel", "CLIPTextModelWithProjection");

    public ClipTextConfig {
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("vocab_size", vocabSize);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
                    + numAttentionHeads);
        }
        if (hiddenAct == null || !ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported (expected one of "
                    + String.join(", ", ACTIVATIONS.stream().sorted().toList()) + ")");
        }
        if (!(layerNormEps > 0) || Double.isInfinite(layerNormEps)) {
            throw new IllegalArgumentException("layer_norm_eps must be a positive number, got " + layerNormEps);
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be positive, got " + v);
    }

    /** Width of one attention head. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** This configuration with another vocabulary size (after resizing the token embedding). */
    public ClipTextConfig withVocabSize(int newVocabSize) {
        return new ClipTextConfig(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                maxPositionEmbeddings, newVocabSize, hiddenAct, layerNormEps, bosTokenId, eosTokenId, padTokenId,
                projectionDim);
    }

    /** transformers' {@code CLIPTextConfig()} defaults (the OpenAI ViT-B/32 text tower). */
    public static ClipTextConfig defaults() {
        return new ClipTextConfig(512, 2048, 12, 8, 77, 49408, "quick_gelu", 1e-5, 49406, 49407, 1, 512);
    }

    /**
     * Reads {@code config.json} ({@code path} may be the file or the {@code text_encoder} folder).
     * Absent fields take transformers' defaults; a config of another model type, a wrong field type
     * or an impossible value is an {@link IllegalArgumentException} naming the file and the field.
     */
    public static ClipTextConfig load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no text encoder config.json here");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
        return fromJson(root, file.toString());
    }

    /**
     * Builds a config from parsed {@code config.json} contents; {@code source} names them in
     * messages. Same rules as {@link #load}.
     */
    public static ClipTextConfig fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + " does not hold a JSON object");
        JsonNode type = root.get("model_type");
        if (type != null && !type.isNull() && !"clip_text_model".equals(type.asText())) {
            throw new IllegalArgumentException(source + ": model_type '" + type.asText()
                    + "' is not a CLIP text model (expected 'clip_text_model'; cd4j supports CLIP text encoders only)");
        }
        JsonNode arch = root.get("architectures");
        if (arch != null && arch.isArray()) {
            for (JsonNode a : arch) {
                if (!ARCHITECTURES.contains(a.asText())) {
                    throw new IllegalArgumentException(source + ": architecture '" + a.asText()
                            + "' is not supported (expected CLIPTextModel or CLIPTextModelWithProjection)");
                }
            }
        }
        ClipTextConfig d = defaults();
        try {
            return new ClipTextConfig(
                    JsonFields.integer(root, "hidden_size", d.hiddenSize()),
                    JsonFields.integer(root, "intermediate_size", d.intermediateSize()),
                    JsonFields.integer(root, "num_hidden_layers", d.numHiddenLayers()),
                    JsonFields.integer(root, "num_attention_heads", d.numAttentionHeads()),
                    JsonFields.integer(root, "max_position_embeddings", d.maxPositionEmbeddings()),
                    JsonFields.integer(root, "vocab_size", d.vocabSize()),
                    JsonFields.string(root, "hidden_act", d.hiddenAct()),
                    JsonFields.number(root, "layer_norm_eps", d.layerNormEps()),
                    JsonFields.integer(root, "bos_token_id", (int) d.bosTokenId()),
                    JsonFields.integer(root, "eos_token_id", (int) d.eosTokenId()),
                    JsonFields.integer(root, "pad_token_id", (int) d.padTokenId()),
                    JsonFields.integer(root, "projection_dim", d.projectionDim()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }
}
