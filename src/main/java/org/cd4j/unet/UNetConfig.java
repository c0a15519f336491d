package org.cd4j.unet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The {@code unet/config.json} of a diffusers {@code UNet2DConditionModel} of the SD-1.x / SD-2.x
 * families, with diffusers 0.21.4's field meanings and defaults.
 *
 * <p>Fields that diffusers accepts as "an int or one value per block" ({@code layers_per_block},
 * {@code attention_head_dim}, {@code num_attention_heads}, {@code cross_attention_dim},
 * {@code transformer_layers_per_block}, {@code only_cross_attention}) are held here expanded to
 * one entry per down block, in down-block order; up blocks read them reversed, as diffusers does.
 *
 * <p>diffusers quirk: when {@code num_attention_heads} is null (every SD-1.x/2.x checkpoint),
 * {@code attention_head_dim} is the <em>number of heads</em>, not their width; see
 * {@link #headsFor(int)}.
 *
 * <p>The compact constructor refuses anything cd4j does not implement (SDXL's
 * {@code addition_embed_type}, class embeddings, other block types ...) with a message naming the
 * config field; {@link #fromJson} prefixes it with the file name.
 *
 * @param sampleSize                informational latent size (null when absent)
 * @param freqShift                 {@code freq_shift}: the sinusoidal embedding's {@code downscale_freq_shift}
 * @param midBlockType              {@code UNetMidBlock2DCrossAttn}, or null for no mid block
 * @param numAttentionHeads         per block, or null when the config leaves it null
 * @param dropout                   read for completeness; inference and cd4j training use none
 * @param classEmbedType            must be null
 * @param additionEmbedType         must be null (SDXL's {@code text_time} is refused)
 * @param encoderHidDim             must be null
 */
public record UNetConfig(
        Integer sampleSize,
        int inChannels,
        int outChannels,
        boolean centerInputSample,
        boolean flipSinToCos,
        double freqShift,
        List<String> downBlockTypes,
        String midBlockType,
        List<String> upBlockTypes,
        List<Boolean> onlyCrossAttention,
        List<Integer> blockOutChannels,
        List<Integer> layersPerBlock,
        int downsamplePadding,
        double midBlockScaleFactor,
        double dropout,
        String actFn,
        int normNumGroups,
        double normEps,
        List<Integer> crossAttentionDim,
        List<Integer> transformerLayersPerBlock,
        List<Integer> attentionHeadDim,
        List<Integer> numAttentionHeads,
        boolean dualCrossAttention,
        boolean useLinearProjection,
        boolean upcastAttention,
        String resnetTimeScaleShift,
        String timeEmbeddingType,
        int convInKernel,
        int convOutKernel,
        String classEmbedType,
        String additionEmbedType,
        Integer encoderHidDim) {

    public static final String CROSS_ATTN_DOWN = "CrossAttnDownBlock2D";
    public static final String DOWN = "DownBlock2D";
    public static final String CROSS_ATTN_UP = "CrossAttnUpBlock2D";
    public static final String UP = "UpBlock2D";
    public static final String MID_CROSS_ATTN = "UNetMidBlock2DCrossAttn";

    private static final String SD_ONLY = " is not supported (SD-1.x/2.x only)";
    private static final Set<String> ACTIVATIONS = Set.of("silu", "swish", "gelu", "relu");

    public UNetConfig {
        // Refusals first, SDXL-style additions before anything else, so an SDXL config gets
        // the message that explains why rather than a complaint about some secondary field.
        if (additionEmbedType != null) throw bad("addition_embed_type '" + additionEmbedType + "'" + SD_ONLY);
        if (classEmbedType != null) throw bad("class_embed_type '" + classEmbedType + "'" + SD_ONLY);
        if (encoderHidDim != null) throw bad("encoder_hid_dim " + encoderHidDim + SD_ONLY);
        if (dualCrossAttention) throw bad("dual_cross_attention true" + SD_ONLY);
        if (!"default".equals(resnetTimeScaleShift)) {
            throw bad("resnet_time_scale_shift '" + resnetTimeScaleShift + "'" + SD_ONLY + "; expected 'default'");
        }
        if (!"positional".equals(timeEmbeddingType)) {
            throw bad("time_embedding_type '" + timeEmbeddingType + "'" + SD_ONLY + "; expected 'positional'");
        }
        if (actFn == null || !ACTIVATIONS.contains(actFn)) {
            throw bad("act_fn '" + actFn + "' is not supported (expected one of silu, swish, gelu, relu)");
        }

        if (downBlockTypes == null || downBlockTypes.isEmpty()) throw bad("down_block_types must list at least one block");
        int n = downBlockTypes.size();
        downBlockTypes = List.copyOf(downBlockTypes);
        for (String t : downBlockTypes) {
            if (!CROSS_ATTN_DOWN.equals(t) && !DOWN.equals(t)) {
                throw bad("down_block_types: '" + t + "'" + SD_ONLY + "; expected " + CROSS_ATTN_DOWN + " or " + DOWN);
            }
        }
        if (upBlockTypes == null || upBlockTypes.size() != n) {
            throw bad("up_block_types has " + (upBlockTypes == null ? 0 : upBlockTypes.size())
                    + " entries but down_block_types has " + n);
        }
        upBlockTypes = List.copyOf(upBlockTypes);
        for (String t : upBlockTypes) {
            if (!CROSS_ATTN_UP.equals(t) && !UP.equals(t)) {
                throw bad("up_block_types: '" + t + "'" + SD_ONLY + "; expected " + CROSS_ATTN_UP + " or " + UP);
            }
        }
        if (midBlockType != null && !MID_CROSS_ATTN.equals(midBlockType)) {
            throw bad("mid_block_type '" + midBlockType + "'" + SD_ONLY + "; expected " + MID_CROSS_ATTN + " or null");
        }

        blockOutChannels = perBlock("block_out_channels", blockOutChannels, n);
        layersPerBlock = perBlock("layers_per_block", layersPerBlock, n);
        crossAttentionDim = perBlock("cross_attention_dim", crossAttentionDim, n);
        transformerLayersPerBlock = perBlock("transformer_layers_per_block", transformerLayersPerBlock, n);
        attentionHeadDim = perBlock("attention_head_dim", attentionHeadDim, n);
        if (numAttentionHeads != null) numAttentionHeads = perBlock("num_attention_heads", numAttentionHeads, n);
        if (onlyCrossAttention == null || onlyCrossAttention.size() != n) {
            throw bad("only_cross_attention has " + (onlyCrossAttention == null ? 0 : onlyCrossAttention.size())
                    + " entries but down_block_types has " + n);
        }
        onlyCrossAttention = List.copyOf(onlyCrossAttention);

        if (inChannels < 1) throw bad("in_channels must be positive, got " + inChannels);
        if (outChannels < 1) throw bad("out_channels must be positive, got " + outChannels);
        if (normNumGroups < 1) throw bad("norm_num_groups must be positive, got " + normNumGroups);
        if (!(normEps > 0)) throw bad("norm_eps must be positive, got " + normEps);
        if (downsamplePadding < 0) throw bad("downsample_padding must be >= 0, got " + downsamplePadding);
        if (midBlockScaleFactor == 0 || !Double.isFinite(midBlockScaleFactor)) {
            throw bad("mid_block_scale_factor must be a non-zero number, got " + midBlockScaleFactor);
        }
        if (convInKernel < 1 || convInKernel % 2 == 0) throw bad("conv_in_kernel must be odd, got " + convInKernel);
        if (convOutKernel < 1 || convOutKernel % 2 == 0) throw bad("conv_out_kernel must be odd, got " + convOutKernel);
        for (int i = 0; i < n; i++) {
            int c = blockOutChannels.get(i);
            if (c % normNumGroups != 0) {
                throw bad("block_out_channels[" + i + "] = " + c + " is not divisible by norm_num_groups " + normNumGroups);
            }
        }
        // Every place a Transformer2DModel is built splits its channels into heads.
        String headsField = numAttentionHeads != null ? "num_attention_heads" : "attention_head_dim";
        for (int i = 0; i < n; i++) {
            if (CROSS_ATTN_DOWN.equals(downBlockTypes.get(i))) {
                checkHeads(headsField, i, blockOutChannels.get(i), heads(numAttentionHeads, attentionHeadDim, i));
            }
            int r = n - 1 - i; // up block i mirrors down block r
            if (CROSS_ATTN_UP.equals(upBlockTypes.get(i))) {
                checkHeads(headsField, r, blockOutChannels.get(r), heads(numAttentionHeads, attentionHeadDim, r));
            }
        }
        if (midBlockType != null) {
            checkHeads(headsField, n - 1, blockOutChannels.get(n - 1), heads(numAttentionHeads, attentionHeadDim, n - 1));
        }
    }

    private static int heads(List<Integer> numAttentionHeads, List<Integer> attentionHeadDim, int i) {
        return numAttentionHeads != null ? numAttentionHeads.get(i) : attentionHeadDim.get(i);
    }

    private static void checkHeads(String field, int i, int channels, int heads) {
        if (channels % heads != 0) {
            throw bad(field + "[" + i + "] = " + heads + " heads do not divide block_out_channels[" + i + "] = "
                    + channels + " (diffusers uses " + field + " as the number of heads)");
        }
    }

    private static List<Integer> perBlock(String field, List<Integer> values, int n) {
        if (values == null || values.size() != n) {
            throw bad(field + " has " + (values == null ? 0 : values.size()) + " entries but down_block_types has " + n);
        }
        for (Integer v : values) {
            if (v == null || v < 1) throw bad(field + " entries must be positive integers, got " + values);
        }
        return List.copyOf(values);
    }

    private static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(message);
    }

    // ---------------------------------------------------------------- derived values

    /** Number of down (and up) blocks. */
    public int blockCount() {
        return downBlockTypes.size();
    }

    /**
     * Attention heads of the transformers at down block {@code i} (up blocks and the mid block
     * use the mirrored / last index): {@code num_attention_heads[i]} when given, else
     * {@code attention_head_dim[i]} — diffusers' historical naming quirk.
     */
    public int headsFor(int i) {
        return heads(numAttentionHeads, attentionHeadDim, i);
    }

    /** Width of the time embedding fed to every resnet: {@code 4 * block_out_channels[0]}. */
    public int timeEmbedDim() {
        return blockOutChannels.get(0) * 4;
    }

    /** Number of up blocks that upsample (all but the last). */
    public int numUpsamplers() {
        return blockCount() - 1;
    }

    // ---------------------------------------------------------------- reading config.json

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * Reads and validates {@code configJson}. Every problem is an {@link IllegalArgumentException}
     * whose message starts with the file name and names the offending field.
     */
    public static UNetConfig load(Path configJson) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readString(configJson));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(configJson.toString(), null, "UNet config not found");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(configJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        return fromJson(root, configJson.toString());
    }

    /** Parses {@code unet/config.json} contents; {@code source} names the file in messages. */
    public static UNetConfig fromJson(String json, String source) {
        try {
            return fromJson(MAPPER.readTree(json), source);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Builds a config from a parsed {@code config.json}. Missing fields take diffusers 0.21.4's
     * defaults. Keys starting with {@code _} are metadata and ignored (but a {@code _class_name}
     * other than UNet2DConditionModel is refused). Known fields that cd4j does not implement must
     * hold diffusers' default; fields that only matter for features refused elsewhere are ignored;
     * unknown fields are ignored when null or false and refused otherwise.
     */
    public static UNetConfig fromJson(JsonNode root, String source) {
        return UNetConfigJson.parse(root, source);
    }
}
