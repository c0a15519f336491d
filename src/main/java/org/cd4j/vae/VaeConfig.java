package org.cd4j.vae;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.io.JsonFields;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * {@code vae/config.json} of a diffusers {@code AutoencoderKL} (0.21.4), same field meanings and
 * the same defaults for absent fields. Only the block types Stable Diffusion's VAEs use exist:
 * {@code DownEncoderBlock2D} and {@code UpDecoderBlock2D}. Validated on construction.
 *
 * @param inChannels            image channels ({@code in_channels})
 * @param outChannels           decoded image channels ({@code out_channels})
 * @param latentChannels        latent channels ({@code latent_channels}, 4 for SD)
 * @param blockOutChannels      channels per resolution level, encoder order ({@code block_out_channels})
 * @param downBlockTypes        one {@code DownEncoderBlock2D} per level ({@code down_block_types})
 * @param upBlockTypes          one {@code UpDecoderBlock2D} per level ({@code up_block_types})
 * @param layersPerBlock        resnets per encoder block; decoder blocks have one more ({@code layers_per_block})
 * @param normNumGroups         GroupNorm groups ({@code norm_num_groups})
 * @param actFn                 resnet activation ({@code act_fn}, silu)
 * @param scalingFactor         latent scale the pipelines apply ({@code scaling_factor}); not applied here
 * @param sampleSize            nominal image size ({@code sample_size}); informational (tiling uses it)
 * @param forceUpcast           {@code force_upcast}: a hint to run the VAE in fp32; kept, not acted on here
 * @param midBlockAddAttention  whether the mid blocks have their attention ({@code mid_block_add_attention})
 */
public record VaeConfig(int inChannels, int outChannels, int latentChannels, List<Integer> blockOutChannels,
                        List<String> downBlockTypes, List<String> upBlockTypes, int layersPerBlock,
                        int normNumGroups, String actFn, double scalingFactor, int sampleSize,
                        boolean forceUpcast, boolean midBlockAddAttention) {

    public VaeConfig {
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("latent_channels", latentChannels);
        positive("layers_per_block", layersPerBlock);
        positive("norm_num_groups", normNumGroups);
        positive("sample_size", sampleSize);
        if (blockOutChannels == null || blockOutChannels.isEmpty()) {
            throw new IllegalArgumentException("block_out_channels must list at least one channel count");
        }
        blockOutChannels = List.copyOf(blockOutChannels);
        downBlockTypes = List.copyOf(Objects.requireNonNull(downBlockTypes, "down_block_types"));
        upBlockTypes = List.copyOf(Objects.requireNonNull(upBlockTypes, "up_block_types"));
        for (int c : blockOutChannels) {
            positive("block_out_channels", c);
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("block_out_channels entry " + c + " is not divisible by norm_num_groups "
                        + normNumGroups);
            }
        }
        checkTypes("down_block_types", downBlockTypes, "DownEncoderBlock2D", blockOutChannels.size());
        checkTypes("up_block_types", upBlockTypes, "UpDecoderBlock2D", blockOutChannels.size());
        if (!"silu".equals(actFn) && !"swish".equals(actFn) && !"gelu".equals(actFn) && !"relu".equals(actFn)) {
            throw new IllegalArgumentException("act_fn '" + actFn + "' is not supported (expected silu, swish, gelu or relu)");
        }
        if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
            throw new IllegalArgumentException("scaling_factor must be a positive number, got " + scalingFactor);
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be positive, got " + v);
    }

    private static void checkTypes(String field, List<String> types, String only, int levels) {
        if (types.size() != levels) {
            throw new IllegalArgumentException(field + " has " + types.size() + " entries but block_out_channels has "
                    + levels);
        }
        for (String t : types) {
            if (!only.equals(t)) {
                throw new IllegalArgumentException(field + " entry '" + t + "' is not supported (only " + only + ")");
            }
        }
    }

    /** Number of resolution levels. */
    public int levels() {
        return blockOutChannels.size();
    }

    /** Image size / latent size: {@code 2^(levels-1)} (8 for SD). */
    public int downscaleFactor() {
        return 1 << (levels() - 1);
    }

    /**
     * A config with one standard down/up block per entry of {@code blockOutChannels} and
     * Stable Diffusion's values elsewhere (silu, scaling factor 0.18215, mid-block attention).
     */
    public static VaeConfig of(int inChannels, int outChannels, int latentChannels, List<Integer> blockOutChannels,
                               int layersPerBlock, int normNumGroups) {
        int n = blockOutChannels.size();
        return new VaeConfig(inChannels, outChannels, latentChannels, blockOutChannels,
                Collections.nCopies(n, "DownEncoderBlock2D"), Collections.nCopies(n, "UpDecoderBlock2D"),
                layersPerBlock, normNumGroups, "silu", 0.18215, 32, true, true);
    }

    /**
     * Reads {@code config.json} ({@code path} may be the file or the {@code vae} folder). Absent
     * fields take diffusers' defaults; a wrong type, an unsupported block or an impossible value is
     * an {@link IllegalArgumentException} naming the file and the field.
     */
    public static VaeConfig load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no VAE config.json here");
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
    public static VaeConfig fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + " does not hold a JSON object");
        try {
            JsonNode cls = root.get("_class_name");
            if (cls != null && !cls.isNull() && !"AutoencoderKL".equals(cls.asText())) {
                throw new IllegalArgumentException("_class_name '" + cls.asText() + "' is not AutoencoderKL");
            }
            // Newer diffusers switches these convolutions off for some models (not Stable Diffusion's).
            for (String f : List.of("use_quant_conv", "use_post_quant_conv")) {
                if (!JsonFields.bool(root, f, true)) throw new IllegalArgumentException("field " + f + " = false is not supported");
            }
            return new VaeConfig(
                    JsonFields.integer(root, "in_channels", 3),
                    JsonFields.integer(root, "out_channels", 3),
                    JsonFields.integer(root, "latent_channels", 4),
                    JsonFields.integers(root, "block_out_channels", List.of(64)),
                    JsonFields.strings(root, "down_block_types", List.of("DownEncoderBlock2D")),
                    JsonFields.strings(root, "up_block_types", List.of("UpDecoderBlock2D")),
                    JsonFields.integer(root, "layers_per_block", 1),
                    JsonFields.integer(root, "norm_num_groups", 32),
                    JsonFields.string(root, "act_fn", "silu"),
                    JsonFields.number(root, "scaling_factor", 0.18215),
                    sampleSize(root),
                    JsonFields.bool(root, "force_upcast", true),
                    JsonFields.bool(root, "mid_block_add_attention", true));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    // diffusers allows sample_size as an int or a [h, w] pair; the nominal size is the first.
    private static int sampleSize(JsonNode root) {
        JsonNode n = root.get("sample_size");
        if (n != null && n.isArray() && n.size() > 0) return JsonFields.integerValue(n.get(0), "sample_size");
        return JsonFields.integer(root, "sample_size", 32);
    }
}
