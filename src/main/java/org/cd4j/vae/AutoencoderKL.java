package org.cd4j.vae;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.Conv2d;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stable Diffusion's VAE, diffusers' {@code AutoencoderKL} (0.21.4): {@code encoder},
 * {@code quant_conv}, {@code post_quant_conv}, {@code decoder}, with parameter names equal to the
 * checkpoint keys. Images are (B, 3, H, W) in [-1, 1]; latents are (B, 4, H/8, W/8) for SD.
 *
 * <p>{@link #decode} does not divide by {@link #scalingFactor()}: the caller does, as diffusers'
 * pipelines do. Large inputs may be tiled ({@link #setTiling}, {@link VaeTiling}: by default only
 * images above {@link VaeTiling#AUTO_PIXELS}). Gradients are left to the caller (a trainer
 * encodes under {@code NoGradGuard}).
 */
public final class AutoencoderKL extends Module {
    /** The epsilon of every VAE GroupNorm (diffusers hard-codes 1e-6 in Encoder/Decoder). */
    static final double EPS = 1e-6;

    private final VaeConfig config;
    private final VaeEncoder encoder;
    private final VaeDecoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;
    private final VaeTiling tiling;
    private VaeTiling.Mode tilingMode = VaeTiling.Mode.AUTO;

    /** A model with zero weights, to be filled by {@link #loadStateDict}. */
    public AutoencoderKL(VaeConfig config, DType dtype) {
        super(dtype);
        this.config = config;
        this.encoder = child("encoder", new VaeEncoder(config, dtype));
        this.decoder = child("decoder", new VaeDecoder(config, dtype));
        long latent2 = 2L * config.latentChannels();
        this.quantConv = child("quant_conv", new Conv2d(latent2, latent2, 1, 1, 0, dtype));
        this.postQuantConv = child("post_quant_conv", new Conv2d(config.latentChannels(), config.latentChannels(), 1, 1, 0, dtype));
        this.tiling = VaeTiling.of(config);
    }

    /** When {@link #decode} and {@link #encodeMoments} tile (default {@link VaeTiling.Mode#AUTO}). */
    public void setTiling(VaeTiling.Mode mode) {
        this.tilingMode = java.util.Objects.requireNonNull(mode, "mode");
    }

    public VaeTiling.Mode tilingMode() {
        return tilingMode;
    }

    /** The tile sizes, diffusers' for this config. */
    public VaeTiling tiling() {
        return tiling;
    }

    /** Whether {@link #decode} tiles latents of this height and width under the current mode. */
    public boolean tilesDecode(long h, long w) {
        return tiling.tilesDecode(tilingMode, h, w, config.downscaleFactor());
    }

    public VaeConfig config() {
        return config;
    }

    /** Sets how the mid blocks' attention is computed (see {@link AttentionKernel}). */
    public void setAttentionKernel(AttentionKernel kernel) {
        java.util.Objects.requireNonNull(kernel, "kernel");
        for (Module m : namedModules().values()) if (m instanceof VaeAttention a) a.setKernel(kernel);
    }

    /** {@code scaling_factor}: latents for the UNet are {@code sample * scalingFactor}. */
    public double scalingFactor() {
        return config.scalingFactor();
    }

    /**
     * {@code quant_conv(encoder(x))}.
     *
     * @param x (B, in_channels, H, W) in [-1, 1]; any H, W (odd sizes round up at each level)
     * @return (B, 2 * latent_channels, h, w)
     */
    public Tensor encodeMoments(Tensor x) {
        checkInput(x, config.inChannels(), "image");
        if (tiling.tilesEncode(tilingMode, x.size(2), x.size(3))) return tiling.encodeMoments(x, this::encodeTile);
        return encodeTile(x);
    }

    private Tensor encodeTile(Tensor x) {
        return quantConv.forward(encoder.forward(device().put(x))); // pictures are made on the CPU
    }

    /** Encodes images into the latent posterior (mean, log-variance, std; sample it with a seeded RNG). */
    public EncoderOutput encode(Tensor x) {
        return EncoderOutput.fromMoments(encodeMoments(x));
    }

    /**
     * {@code decoder(post_quant_conv(z))}, unclamped.
     *
     * @param z (B, latent_channels, h, w), already divided by {@link #scalingFactor()}
     * @return (B, out_channels, h * f, w * f), nominally in [-1, 1]
     */
    public Tensor decode(Tensor z) {
        checkInput(z, config.latentChannels(), "latent");
        if (tilesDecode(z.size(2), z.size(3))) return tiling.decode(z, this::decodeTile);
        return decodeTile(z);
    }

    private Tensor decodeTile(Tensor z) {
        return decoder.forward(postQuantConv.forward(device().put(z)));
    }

    private static void checkInput(Tensor t, int channels, String what) {
        if (t.dim() != 4 || t.size(1) != channels) {
            throw new IllegalArgumentException("VAE " + what + " must be (batch, " + channels + ", height, width), got "
                    + Arrays.toString(Tensors.shape(t)));
        }
    }

    // Pre-0.14 diffusers named the mid-block attention query/key/value/proj_attn.
    private static final Pattern LEGACY_ATTENTION =
            Pattern.compile("^(.*\\.mid_block\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)\\.(weight|bias)$");
    private static final Pattern ATTENTION_WEIGHT =
            Pattern.compile("^.*\\.mid_block\\.attentions\\.\\d+\\.(to_q|to_k|to_v|to_out\\.0)\\.weight$");

    /**
     * Brings older VAE checkpoints to the current key layout, the one place this is done: renames
     * the legacy attention names ({@code query → to_q}, {@code key → to_k}, {@code value → to_v},
     * {@code proj_attn → to_out.0}) and views 1×1-convolution-shaped attention weights
     * {@code (C, C, 1, 1)} as the linear {@code (C, C)} they are. No data is copied. Other keys
     * pass through unchanged, so a strict load still reports anything else that does not fit.
     */
    public static Map<String, Tensor> convertLegacyKeys(Map<String, Tensor> stateDict) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            String key = e.getKey();
            Matcher m = LEGACY_ATTENTION.matcher(key);
            if (m.matches()) {
                String renamed = switch (m.group(2)) {
                    case "query" -> "to_q";
                    case "key" -> "to_k";
                    case "value" -> "to_v";
                    default -> "to_out.0";
                };
                key = m.group(1) + renamed + "." + m.group(3);
            }
            Tensor t = e.getValue();
            if (ATTENTION_WEIGHT.matcher(key).matches() && t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1) {
                t = t.view(t.size(0), t.size(1)); // (C, C, 1, 1) -> (C, C)
            }
            if (out.put(key, t) != null) {
                throw new IllegalArgumentException("checkpoint holds both " + e.getKey() + " and its current name " + key);
            }
        }
        return out;
    }

    /** Strict load of a diffusers VAE state dict, legacy attention names accepted. */
    public void loadVaeStateDict(Map<String, Tensor> stateDict, String source) {
        loadStateDict(convertLegacyKeys(stateDict), source);
    }

    /**
     * Loads a diffusers {@code vae/} folder: {@code config.json} and
     * {@code diffusion_pytorch_model.safetensors} (memory-mapped, converted to {@code dtype}).
     */
    public static AutoencoderKL load(Path vaeDir, DType dtype) throws IOException {
        if (!Files.isDirectory(vaeDir)) {
            throw new NoSuchFileException(vaeDir.toString(), null, "not a VAE folder");
        }
        VaeConfig config = VaeConfig.load(vaeDir.resolve("config.json"));
        Path weights = WeightFile.locate(vaeDir, "VAE", "diffusion_pytorch_model");
        AutoencoderKL model = new AutoencoderKL(config, dtype);
        // safetensors tensors are views of the mapped file: keep it open until they are copied
        try (LoadedWeights w = WeightFile.loadFlat(weights)) {
            model.loadVaeStateDict(w.tensors(), weights.toString());
        }
        return model;
    }
}
