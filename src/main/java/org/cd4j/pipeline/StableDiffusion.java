package org.cd4j.pipeline;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Device;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.sched.Denoiser;
import org.cd4j.sched.NoiseSource;
import org.cd4j.sched.Sampler;
import org.cd4j.sched.SamplerOptions;
import org.cd4j.sched.SchedulerConfig;
import org.cd4j.sched.Samplers;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.vae.AutoencoderKL;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Stable Diffusion text-to-image, step for step as diffusers' {@code StableDiffusionPipeline}
 * (0.21): prompt encoding, classifier-free guidance with the unconditional pass first, initial
 * latents from one {@code randn} of the batch shape, the sampler's own noise draws, and VAE
 * decoding of {@code latents / scaling_factor}. With the same seed it gives diffusers' image.
 */
public final class StableDiffusion {
    private final ModelFolder folder;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final SchedulerConfig schedulerConfig;
    private final DType dtype;

    public StableDiffusion(ModelFolder folder, ClipTokenizer tokenizer, ClipTextModel textEncoder,
                           UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig, DType dtype) {
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
        this.dtype = dtype;
    }

    /** Loads every part of a diffusers model folder, weights in {@code dtype}. */
    public static StableDiffusion load(Path dir, DType dtype) throws IOException {
        ModelFolder f = ModelFolder.open(dir);
        ClipTokenizer tok = ClipTokenizer.load(f.tokenizer());
        ClipTextModel te = ClipTextModel.load(f.textEncoder(), dtype);
        UNet2DConditionModel unet = UNet2DConditionModel.load(f.unet(), dtype);
        AutoencoderKL vae = AutoencoderKL.load(f.vae(), dtype);
        SchedulerConfig sc = SchedulerConfig.load(f.schedulerConfig());
        if (te.config().hiddenSize() != unet.config().crossAttentionDim().get(0)) {
            throw new IllegalArgumentException(dir + ": text_encoder hidden_size " + te.config().hiddenSize()
                    + " does not match unet cross_attention_dim " + unet.config().crossAttentionDim());
        }
        return new StableDiffusion(f, tok, te, unet, vae, sc, dtype);
    }

    public ModelFolder folder() {
        return folder;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    public SchedulerConfig schedulerConfig() {
        return schedulerConfig;
    }

    public DType dtype() {
        return dtype;
    }

    /**
     * Moves the text encoder, UNet and VAE to {@code device} (checked to be usable first). The
     * seeded generator stays on the CPU and its draws move, so a seed gives the same image on
     * any device up to the device's arithmetic.
     */
    public StableDiffusion to(Device device) {
        device.requireAvailable();
        textEncoder.to(device);
        unet.to(device);
        vae.to(device);
        return this;
    }

    /** How the UNet's and the VAE's attention is computed (see {@link AttentionKernel}); the images stay the same. */
    public StableDiffusion setAttentionKernel(AttentionKernel kernel) {
        unet.setAttentionKernel(kernel);
        vae.setAttentionKernel(kernel);
        return this;
    }

    /** Where the model computes. */
    public Device device() {
        return unet.device();
    }

    /** {@code 2^(len(vae.block_out_channels) - 1)}: pixels per latent cell. */
    public int vaeScaleFactor() {
        return 1 << (vae.config().blockOutChannels().size() - 1);
    }

    /** The default image side: the UNet's {@code sample_size} times the VAE factor. */
    public int defaultSize() {
        Integer s = unet.config().sampleSize();
        return (s == null ? 64 : s) * vaeScaleFactor();
    }

    /** Token ids of a prompt, padded to the tokenizer's max length, as (1, 77) int64. */
    public Tensor tokenIds(String prompt) {
        int[] ids = tokenizer.encode(prompt);
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return Tensors.fromLongs(l, 1, l.length);
    }

    /** The text encoder's last hidden state for one prompt: (1, 77, D), what the UNet is conditioned on. */
    public Tensor encodePrompt(String prompt) {
        try (NoGradGuard g = new NoGradGuard()) {
            return textEncoder.forward(tokenIds(prompt)).lastHiddenState();
        }
    }

    /** The sampler a request asks for (or the model's own), configured from the model's scheduler config. */
    public Sampler sampler(GenerationRequest r) {
        String name = r.scheduler();
        if (name == null) {
            name = Samplers.nameForConfig(schedulerConfig).orElseThrow(() -> new IllegalArgumentException(
                    folder.schedulerConfig() + ": scheduler class '" + schedulerConfig.className()
                            + "' has no cd4j sampler; choose one with --scheduler (" + String.join(", ", Samplers.names()) + ")"));
        }
        SamplerOptions opts = SamplerOptions.none().withEta(r.eta() == 0 ? null : r.eta());
        if (r.karrasSigmas()) opts = opts.withKarrasSigmas(true);
        try {
            return Samplers.create(name, schedulerConfig, opts);
        } catch (SchedulerConfig.FieldException e) {
            throw new IllegalArgumentException(folder.schedulerConfig() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Generates the request's images. Returns the decoded images (N, 3, H, W) as float32,
     * unclamped (nominally in [-1, 1]); {@link Images#toImages} turns them into pictures.
     */
    public Tensor generate(GenerationRequest r, ProgressListener progress) {
        // Every intermediate of the run (text states, latents, VAE activations) is freed when the
        // scope closes; only the images survive, so repeated generations do not grow memory.
        Tensor images;
        try (PointerScope scope = new PointerScope()) {
            images = decode(generateLatents(r, progress));
            images.retainReference();
        }
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(images);
            images.releaseReference();
        }
        return images;
    }

    /** The denoised latents (N, 4, h, w) of a request, before VAE decoding. */
    public Tensor generateLatents(GenerationRequest r, ProgressListener progress) {
        int height = r.height() == 0 ? defaultSize() : r.height();
        int width = r.width() == 0 ? defaultSize() : r.width();
        int f = vaeScaleFactor();
        if (height % f != 0 || width % f != 0) {
            throw new IllegalArgumentException("height and width must be multiples of " + f + ", got " + height + "x" + width);
        }
        int n = r.numImages();
        Rng rng = Rng.seeded(r.seed());
        Sampler sampler = sampler(r);
        sampler.setTimesteps(r.steps());
        long[] latentShape = {n, unet.config().inChannels(), height / f, width / f};

        try (NoGradGuard g = new NoGradGuard()) {
            Tensor cond = encodePrompt(r.prompt());
            Tensor context;
            if (r.guided()) {
                Tensor uncond = encodePrompt(r.negativePrompt() == null ? "" : r.negativePrompt());
                // diffusers: cat([negative] * n, [positive] * n) — the unconditional half first
                context = F.cat(0, repeat(uncond, n), repeat(cond, n));
            } else {
                context = repeat(cond, n);
            }
            Tensor initial;
            if (r.initialLatents() != null) {
                if (!Arrays.equals(Tensors.shape(r.initialLatents()), latentShape)) {
                    throw new IllegalArgumentException("latents have shape " + Arrays.toString(Tensors.shape(r.initialLatents()))
                            + ", expected " + Arrays.toString(latentShape) + " for " + n + " image(s) of " + width + "x" + height);
                }
                initial = device().put(r.initialLatents().to(org.bytedeco.pytorch.global.torch.ScalarType.Float));
            } else {
                initial = device().put(rng.randn(latentShape)); // one CPU draw of the batch shape, as diffusers
            }
            long start = System.nanoTime();
            int total = sampler.numSteps();
            double guidance = r.guidance();
            Denoiser model = (in, t, i) -> {
                Tensor out;
                if (r.guided()) {
                    Tensor pred = unet.forward(F.cat(0, in, in), t, context);
                    Tensor uncondPred = pred.narrow(0, 0, n);
                    Tensor textPred = pred.narrow(0, n, n);
                    out = uncondPred.add(textPred.sub(uncondPred), new Scalar(guidance));
                } else {
                    out = unet.forward(in, t, context);
                }
                progress.onStep(i + 1, total, (System.nanoTime() - start) / 1e9);
                return out.to(org.bytedeco.pytorch.global.torch.ScalarType.Float);
            };
            return sampler.sample(initial, model, NoiseSource.of(rng));
        }
    }

    /** {@code vae.decode(latents / scaling_factor)} as float32 on the CPU, the whole batch at once as diffusers does. */
    public Tensor decode(Tensor latents) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor z = latents.div(new Scalar(vae.scalingFactor())).to(dtype.scalarType);
            return vae.decode(z).to(org.bytedeco.pytorch.global.torch.ScalarType.Float).cpu();
        }
    }

    private static Tensor repeat(Tensor x, int n) {
        return n == 1 ? x : x.repeat(n, 1, 1); // (1, T, D) -> (n, T, D)
    }
}
