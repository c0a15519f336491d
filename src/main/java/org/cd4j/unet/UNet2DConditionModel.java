package org.cd4j.unet;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.Conv2d;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.F;
import org.cd4j.nn.GroupNorm;
import org.cd4j.nn.Module;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * diffusers' {@code UNet2DConditionModel} for Stable Diffusion 1.x and 2.x, numerically matching
 * diffusers 0.21.4. Parameter names are exactly diffusers' state-dict keys ({@code conv_in},
 * {@code time_embedding.linear_1}, {@code down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k},
 * ..., {@code conv_out}), so a {@code diffusion_pytorch_model.safetensors} loads strictly by name.
 *
 * <p>The model never switches autograd off itself: run it under a {@code NoGradGuard} for
 * inference; training gets gradients for whatever parameters require them.
 */
public final class UNet2DConditionModel extends Module {
    /** File name of diffusers' safetensors weights inside {@code unet/}. */
    public static final String SAFETENSORS_WEIGHTS = "diffusion_pytorch_model.safetensors";
    /** File name of diffusers' pickled weights inside {@code unet/}. */
    public static final String BIN_WEIGHTS = "diffusion_pytorch_model.bin";
    /** File name of the config inside {@code unet/}. */
    public static final String CONFIG = "config.json";

    private final UNetConfig config;
    private final Conv2d convIn;
    private final TimestepEmbedding timeEmbedding;
    private final List<DownBlock> downBlocks = new ArrayList<>();
    private final List<UpBlock> upBlocks = new ArrayList<>();
    private final MidBlock midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;
    /** The encoder-state width every cross-attention expects, or -1 when blocks differ. */
    private final long contextDim;

    /** Builds the model with zero weights; fill them with {@link #loadStateDict}. */
    public UNet2DConditionModel(UNetConfig config, DType dtype) {
        super(dtype);
        this.config = config;
        int n = config.blockCount();
        long c0 = config.blockOutChannels().get(0);
        // Registration order is diffusers' module order (down_blocks, up_blocks, then mid_block),
        // so parameters and attentions enumerate as its state dict and attn_processors do.
        this.convIn = child("conv_in", new Conv2d(config.inChannels(), c0, config.convInKernel(), 1,
                (config.convInKernel() - 1) / 2, dtype));
        this.timeEmbedding = child("time_embedding", new TimestepEmbedding(c0, config.timeEmbedDim(), config.actFn(), dtype));
        Container down = child("down_blocks", new Container(dtype));
        long in = c0;
        for (int i = 0; i < n; i++) {
            downBlocks.add(down.append(new DownBlock(config, i, in, dtype)));
            in = config.blockOutChannels().get(i);
        }
        Container up = child("up_blocks", new Container(dtype));
        long prev = config.blockOutChannels().get(n - 1);
        for (int i = 0; i < n; i++) {
            upBlocks.add(up.append(new UpBlock(config, i, prev, dtype)));
            prev = config.blockOutChannels().get(n - 1 - i);
        }
        this.midBlock = config.midBlockType() != null ? child("mid_block", new MidBlock(config, dtype)) : null;
        this.convNormOut = child("conv_norm_out", new GroupNorm(config.normNumGroups(), c0, config.normEps(), dtype));
        this.convOut = child("conv_out", new Conv2d(c0, config.outChannels(), config.convOutKernel(), 1,
                (config.convOutKernel() - 1) / 2, dtype));
        this.contextDim = contextDim(config);
    }

    private static long contextDim(UNetConfig config) {
        TreeSet<Integer> dims = new TreeSet<>();
        int n = config.blockCount();
        for (int i = 0; i < n; i++) {
            if (UNetConfig.CROSS_ATTN_DOWN.equals(config.downBlockTypes().get(i))) dims.add(config.crossAttentionDim().get(i));
            if (UNetConfig.CROSS_ATTN_UP.equals(config.upBlockTypes().get(i))) dims.add(config.crossAttentionDim().get(n - 1 - i));
        }
        if (config.midBlockType() != null) dims.add(config.crossAttentionDim().get(n - 1));
        return dims.size() == 1 ? dims.first() : -1;
    }

    /**
     * Reads {@code unetDir/config.json} and the weights, {@code diffusion_pytorch_model.safetensors}
     * (memory-mapped) or else {@code diffusion_pytorch_model.bin} (torch pickle, read without
     * executing anything), and loads them strictly, converted to {@code dtype}. Errors name the file.
     */
    public static UNet2DConditionModel load(Path unetDir, DType dtype) throws IOException {
        if (!Files.isDirectory(unetDir)) {
            throw new NoSuchFileException(unetDir.toString(), null, "UNet folder not found");
        }
        UNetConfig config = UNetConfig.load(unetDir.resolve(CONFIG));
        Path weights = WeightFile.locate(unetDir, "UNet", "diffusion_pytorch_model");
        UNet2DConditionModel model = new UNet2DConditionModel(config, dtype);
        // Safetensors tensors are views of the mapped file: keep it open until they are copied.
        try (LoadedWeights w = WeightFile.loadFlat(weights)) {
            model.loadStateDict(w.tensors(), weights.toString());
        }
        return model;
    }

    // ---------------------------------------------------------------------------- forward

    /**
     * Predicts the noise (or v) for {@code sample} at {@code timestep}, conditioned on
     * {@code encoderHiddenStates}.
     *
     * @param sample              (B, in_channels, H, W); any H, W (sizes that do not halve evenly
     *                            are handled like diffusers, by forwarding skip sizes to the upsamplers)
     * @param timestep            0-d, (1) or (B), integer or floating (may be fractional); broadcast to B
     * @param encoderHiddenStates (B, S, cross_attention_dim), any S
     * @return (B, out_channels, H, W) in the model's dtype
     */
    public Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates) {
        return forward(sample, timestep, encoderHiddenStates, null);
    }

    /**
     * The forward pass, with gradient checkpointing when {@code tape} is given: every down, mid
     * and up block then runs as a {@link SegmentTape} segment, and the caller back-propagates
     * with {@code tape.backward(loss)} instead of {@code loss.backward()}.
     */
    public Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates, SegmentTape tape) {
        checkInputs(sample, encoderHiddenStates);
        long b = sample.size(0);
        // Inputs in another dtype than the weights (fp32 latents, fp16 model) are cast, as the
        // pipelines do; .to() is free when the dtype already matches.
        Tensor x = sample.to(dtype.scalarType);
        Tensor context = encoderHiddenStates.to(dtype.scalarType);
        if (tape != null) context = tape.input(context);

        // diffusers: if any spatial size is not a multiple of 2^num_upsamplers, every upsampler
        // is told the exact size of the skip connection it must match.
        long factor = 1L << config.numUpsamplers();
        boolean forwardUpsampleSize = x.size(2) % factor != 0 || x.size(3) % factor != 0;

        if (config.centerInputSample()) x = F.add(F.mul(x, 2.0), -1.0);

        // 1. time
        // timesteps may come from the CPU (samplers, the trainer's generator): they follow the sample
        Tensor temb = timeEmbedding.forward(timeProjection(Device.of(sample).put(timestep), b).to(dtype.scalarType)); // (B, 4·C0)

        // 2. pre-process
        x = convIn.forward(x);

        // 3. down
        List<Tensor> skips = new ArrayList<>();
        skips.add(x);
        for (DownBlock blk : downBlocks) {
            if (tape == null) {
                x = blk.forward(x, temb, context, skips);
            } else {
                // outputs: every skip the block adds; the last one is its output
                List<Tensor> added = tape.segment(List.of(x, context), in -> {
                    List<Tensor> out = new ArrayList<>();
                    blk.forward(in.get(0), temb, in.get(1), out);
                    return out;
                });
                skips.addAll(added);
                x = added.get(added.size() - 1);
            }
        }

        // 4. mid
        if (midBlock != null) {
            x = tape == null ? midBlock.forward(x, temb, context)
                    : tape.segment(List.of(x, context), in -> List.of(midBlock.forward(in.get(0), temb, in.get(1)))).get(0);
        }

        // 5. up
        for (int i = 0; i < upBlocks.size(); i++) {
            UpBlock blk = upBlocks.get(i);
            List<Tensor> tail = skips.subList(skips.size() - blk.skipCount(), skips.size());
            List<Tensor> own = new ArrayList<>(tail);
            tail.clear();
            long upH = 0, upW = 0;
            if (i < upBlocks.size() - 1 && forwardUpsampleSize) {
                Tensor next = skips.get(skips.size() - 1); // the skip the upsampled output meets next
                upH = next.size(2);
                upW = next.size(3);
            }
            if (tape == null) {
                x = blk.forward(x, own, temb, context, upH, upW);
            } else {
                List<Tensor> in = new ArrayList<>(own.size() + 2);
                in.add(x);
                in.add(context);
                in.addAll(own);
                final long h = upH, w = upW;
                x = tape.segment(in, v -> List.of(blk.forward(v.get(0), new ArrayList<>(v.subList(2, v.size())), temb, v.get(1), h, w))).get(0);
            }
        }

        // 6. post-process
        x = F.activation(config.actFn(), convNormOut.forward(x));
        return convOut.forward(x);
    }

    /** {@link #forward(Tensor, Tensor, Tensor)} with a Python-style number timestep (e.g. 749.25). */
    public Tensor forward(Tensor sample, double timestep, Tensor encoderHiddenStates) {
        return forward(sample, torch.scalar_tensor(new Scalar(timestep), Tensors.options(DType.F32, sample)), encoderHiddenStates);
    }

    private void checkInputs(Tensor sample, Tensor context) {
        if (sample == null || context == null) {
            throw new IllegalArgumentException("UNet forward needs a sample and encoder hidden states");
        }
        if (sample.dim() != 4 || sample.size(1) != config.inChannels()) {
            throw new IllegalArgumentException("UNet sample must be (B, " + config.inChannels() + ", H, W), got "
                    + Arrays.toString(Tensors.shape(sample)));
        }
        if (context.dim() != 3 || context.size(0) != sample.size(0)
                || (contextDim > 0 && context.size(2) != contextDim)) {
            throw new IllegalArgumentException("UNet encoder hidden states must be (" + sample.size(0) + ", S, "
                    + (contextDim > 0 ? contextDim : "cross_attention_dim") + "), got "
                    + Arrays.toString(Tensors.shape(context)));
        }
    }

    /**
     * diffusers' {@code time_proj}: the sinusoidal features of the timesteps, float32 (B, C0).
     *
     * @param timestep 0-d, (1) or (B)
     * @param batch    B, the size timesteps are broadcast to
     */
    public Tensor timeProjection(Tensor timestep, long batch) {
        Tensor t = timestep.dim() == 0 ? timestep.unsqueeze(0) : timestep; // (1) or (B)
        if (t.dim() != 1 || (t.size(0) != 1 && t.size(0) != batch)) {
            throw new IllegalArgumentException("timestep must be a scalar or have shape (" + batch + "), got "
                    + Arrays.toString(Tensors.shape(timestep)));
        }
        return TimestepEmbedding.sinusoidal(t.expand(batch), config.blockOutChannels().get(0),
                config.flipSinToCos(), config.freqShift());
    }

    // ---------------------------------------------------------------------------- accessors

    /** {@code time_embedding}: (B, C0) sinusoidal features → (B, 4·C0). */
    public TimestepEmbedding timeEmbedding() {
        return timeEmbedding;
    }

    public UNetConfig config() {
        return config;
    }

    /** The dtype of the weights and of the computation. */
    public DType dtype() {
        return dtype;
    }

    /**
     * Every attention module by its full name, in diffusers' {@code attn_processors} order, e.g.
     * {@code down_blocks.0.attentions.0.transformer_blocks.0.attn2}.
     */
    public Map<String, Attention> attentions() {
        Map<String, Attention> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            if (e.getValue() instanceof Attention a) out.put(e.getKey(), a);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Sets {@code processor} on every attention module. */
    public void setAttentionProcessor(AttentionProcessor processor) {
        for (Attention a : attentions().values()) a.setProcessor(processor);
    }

    /** Sets how every attention module computes attention (see {@link AttentionKernel}). */
    public void setAttentionKernel(AttentionKernel kernel) {
        for (Attention a : attentions().values()) a.setKernel(kernel);
    }
}
