package org.cd4j.ldm;

import org.cd4j.io.FormatException;
import org.cd4j.ldm.LdmKeys.TextTower;
import org.cd4j.sched.SchedulerConfig;
import org.cd4j.text.ClipTextConfig;
import org.cd4j.unet.UNetConfig;
import org.cd4j.vae.VaeConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The configuration a single file becomes: what its weights say ({@link LdmInference}), then the
 * {@code cd4j.model_config} its metadata may carry, then the user's {@code --model-config}, each
 * replacing fields of the one before. Fields the weights decide (widths, depths, block types …)
 * may be restated but not changed: a contradiction is reported against the weights. The result
 * is checked by the configs' own validation and must fit cd4j's CLIP tokenizer.
 *
 * @param json  the four config files' contents
 * @param tower the text tower the checkpoint holds
 * @param open  for an SD-2 file, which of {@link #SD2_VARIANT_FIELDS} nothing stated (neither its
 *              metadata nor a config), so that {@link Sd2Variant} may settle them from the weights
 */
record ResolvedConfig(ModelConfigs json, UNetConfig unet, VaeConfig vae, ClipTextConfig text, TextTower tower, Set<String> open) {
    /** Rows of the CLIP BPE vocabulary cd4j ships for single files (SD-1.x and SD-2.x share it). */
    static final int CLIP_VOCAB = 49408;
    /** The safetensors metadata key cd4j stores a single file's full configuration under. */
    static final String METADATA_KEY = "cd4j.model_config";
    /** What tells SD-2's two kinds apart (512-px epsilon "base" models, 768-px v-prediction ones), as section.field. */
    static final List<String> SD2_VARIANT_FIELDS = List.of("scheduler.prediction_type", "unet.sample_size", "unet.upcast_attention");

    ResolvedConfig {
        open = Set.copyOf(open);
    }

    /**
     * Resolves the configuration of {@code file}.
     *
     * @param override       {@code --model-config} contents (or {@link ModelConfigs#none()})
     * @param overrideSource names the override in messages
     */
    static ResolvedConfig resolve(Path file, Map<String, long[]> shapes, Map<String, String> metadata,
                                  ModelConfigs override, String overrideSource) throws IOException {
        LdmInference.Result inferred = LdmInference.infer(file, shapes, metadata);
        ModelConfigs embedded = metadata.containsKey(METADATA_KEY)
                ? ModelConfigs.parse(metadata.get(METADATA_KEY), file + " (metadata " + METADATA_KEY + ")")
                : ModelConfigs.none();
        ModelConfigs json = inferred.configs().overriddenBy(embedded).overriddenBy(override);
        for (Map.Entry<String, String> u : inferred.unresolved().entrySet()) {
            String[] f = u.getKey().split("\\.", 2);
            if (!embedded.sets(f[0], f[1]) && !override.sets(f[0], f[1])) {
                throw new FormatException(file, "cannot tell " + u.getKey() + " from the weights (" + u.getValue()
                        + "); give it in a model config file, e.g. --model-config with {\"" + f[0] + "\": {\"" + f[1] + "\": N}}");
            }
        }
        Set<String> open = new TreeSet<>();
        if (inferred.tower() == TextTower.OPEN_CLIP) {
            for (String f : SD2_VARIANT_FIELDS) {
                String[] p = f.split("\\.", 2);
                if (!inferred.stated().contains(f) && !embedded.sets(p[0], p[1]) && !override.sets(p[0], p[1])) open.add(f);
            }
        }
        String source = file.getFileName() + (embedded.isEmpty() ? "" : " + its " + METADATA_KEY) + " + " + overrideSource;
        ResolvedConfig weights = typed(inferred.configs(), inferred.tower(), file + " (inferred from the weights)");
        ResolvedConfig out = typed(json, inferred.tower(), source).withOpen(open);
        out.checkAgainst(weights, file, source);
        if (out.text.hiddenSize() != out.unet.crossAttentionDim().get(0)) {
            throw new FormatException(file, "its text encoder is " + out.text.hiddenSize() + " wide but the UNet attends to "
                    + out.unet.crossAttentionDim().get(0) + "-wide context; the parts do not belong together");
        }
        if (out.text.vocabSize() != CLIP_VOCAB) {
            throw new FormatException(file, "its text encoder has " + out.text.vocabSize() + " token rows, but single files"
                    + " carry no tokenizer and the CLIP tokenizer cd4j supplies has " + CLIP_VOCAB);
        }
        return out;
    }

    /** Parses the JSON with the configs' own validation; {@code source} names it in messages. */
    static ResolvedConfig typed(ModelConfigs json, TextTower tower, String source) {
        UNetConfig unet = UNetConfig.fromJson(json.unet(), source + ": unet");
        VaeConfig vae = VaeConfig.fromJson(json.vae(), source + ": vae");
        ClipTextConfig text = ClipTextConfig.fromJson(json.textEncoder(), source + ": text_encoder");
        try {
            SchedulerConfig.parse(json.scheduler().toString());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": scheduler: " + e.getMessage(), e);
        }
        return new ResolvedConfig(json, unet, vae, text, tower, Set.of());
    }

    private ResolvedConfig withOpen(Set<String> fields) {
        return new ResolvedConfig(json, unet, vae, text, tower, fields);
    }

    /** Refuses a given config that changes what the weights decide. */
    private void checkAgainst(ResolvedConfig w, Path file, String source) throws FormatException {
        UNetConfig a = unet, b = w.unet;
        same(file, source, "unet.in_channels", a.inChannels(), b.inChannels());
        same(file, source, "unet.out_channels", a.outChannels(), b.outChannels());
        same(file, source, "unet.down_block_types", a.downBlockTypes(), b.downBlockTypes());
        same(file, source, "unet.up_block_types", a.upBlockTypes(), b.upBlockTypes());
        same(file, source, "unet.mid_block_type", a.midBlockType(), b.midBlockType());
        same(file, source, "unet.block_out_channels", a.blockOutChannels(), b.blockOutChannels());
        same(file, source, "unet.layers_per_block", a.layersPerBlock(), b.layersPerBlock());
        same(file, source, "unet.transformer_layers_per_block", a.transformerLayersPerBlock(), b.transformerLayersPerBlock());
        same(file, source, "unet.cross_attention_dim", a.crossAttentionDim(), b.crossAttentionDim());
        same(file, source, "unet.use_linear_projection", a.useLinearProjection(), b.useLinearProjection());
        same(file, source, "unet.conv_in_kernel", a.convInKernel(), b.convInKernel());
        same(file, source, "unet.conv_out_kernel", a.convOutKernel(), b.convOutKernel());
        same(file, source, "vae.in_channels", vae.inChannels(), w.vae.inChannels());
        same(file, source, "vae.out_channels", vae.outChannels(), w.vae.outChannels());
        same(file, source, "vae.latent_channels", vae.latentChannels(), w.vae.latentChannels());
        same(file, source, "vae.block_out_channels", vae.blockOutChannels(), w.vae.blockOutChannels());
        same(file, source, "vae.layers_per_block", vae.layersPerBlock(), w.vae.layersPerBlock());
        same(file, source, "vae.mid_block_add_attention", vae.midBlockAddAttention(), w.vae.midBlockAddAttention());
        same(file, source, "text_encoder.hidden_size", text.hiddenSize(), w.text.hiddenSize());
        same(file, source, "text_encoder.intermediate_size", text.intermediateSize(), w.text.intermediateSize());
        same(file, source, "text_encoder.num_hidden_layers", text.numHiddenLayers(), w.text.numHiddenLayers());
        same(file, source, "text_encoder.max_position_embeddings", text.maxPositionEmbeddings(), w.text.maxPositionEmbeddings());
        same(file, source, "text_encoder.vocab_size", text.vocabSize(), w.text.vocabSize());
    }

    private static void same(Path file, String source, String field, Object given, Object weights) throws FormatException {
        if (!Objects.equals(given, weights)) {
            throw new FormatException(file, "the configuration (" + source + ") sets " + field + " = " + given
                    + ", but the weights have " + field + " = " + weights);
        }
    }
}
