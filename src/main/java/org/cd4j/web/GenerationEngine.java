package org.cd4j.web;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.nn.DType;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.pipeline.Images;
import org.cd4j.pipeline.ProgressListener;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.text.ClipTextModel;
import org.cd4j.text.ClipTokenizer;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Text-to-image with deltas on a cached base model.
 *
 * <p>Applying a delta changes the pipeline it is applied to (UNet weights are overwritten, tokens
 * are added to the tokenizer and text encoder), and every request must start from the untouched
 * base. Reloading the whole model per request costs the UNet's read (3.4 GB in fp32 for SD-1.5);
 * instead the base stays loaded and a request
 * <ol>
 *   <li>copies the UNet weights the deltas will change (32 k/v matrices, 77 MB for SD-1.5),</li>
 *   <li>if a delta adds tokens, builds the pipeline with a freshly loaded tokenizer and text
 *       encoder (the tokenizer cannot forget a token; the text encoder is 0.5 GB for SD-1.5),</li>
 *   <li>applies the deltas, generates, and copies the saved weights back, in {@code finally}.</li>
 * </ol>
 * Restoring is a plain copy of the saved values, so the base is bit-for-bit what was loaded
 * (the tests check it). On tiny-sd1 a whole reload takes ~0.06-1.5 s and the tokenizer + text
 * encoder ~15-30 ms; the saved copy is the cheaper path at every size.
 *
 * <p>Calls are serialised (one generation at a time, on the generate lane). At most
 * {@link #MAX_CACHED} base models stay loaded; the least recently used one is dropped.
 */
public final class GenerationEngine {
    /** How many base models stay loaded at once. */
    public static final int MAX_CACHED = 2;

    private final Map<String, StableDiffusion> cache = new LinkedHashMap<>(4, 0.75f, true);

    /** The loaded base of a model (loading it on first use, outside any pointer scope). */
    public synchronized StableDiffusion base(ModelRegistry.Model m, Consumer<String> log) throws IOException {
        StableDiffusion sd = cache.get(m.id());
        if (sd == null) {
            while (cache.size() >= MAX_CACHED) {
                String eldest = cache.keySet().iterator().next();
                cache.remove(eldest);
                log.accept("unloaded model " + eldest);
            }
            long t = System.nanoTime();
            sd = StableDiffusion.load(m.dir(), DType.F32);
            log.accept(String.format(java.util.Locale.ROOT, "loaded model %s in %.1f s", m.id(), (System.nanoTime() - t) / 1e9));
            cache.put(m.id(), sd);
        }
        return sd;
    }

    /**
     * Generates the request's pictures with {@code deltas} applied (none: the plain base).
     *
     * @throws IllegalArgumentException when a delta does not fit the model (the base is untouched)
     */
    public synchronized List<BufferedImage> generate(ModelRegistry.Model m, List<DeltaApplier.Entry> deltas, boolean force,
                                                     GenerationRequest r, ProgressListener progress, Consumer<String> log)
            throws IOException {
        StableDiffusion base = base(m, log);
        try (PointerScope scope = new PointerScope()) {
            if (deltas.isEmpty()) return Images.toImages(base.generate(r, progress));
            StableDiffusion sd = base;
            if (deltas.stream().anyMatch(e -> !e.delta().tokens().isEmpty())) {
                ClipTokenizer tok = ClipTokenizer.load(base.folder().tokenizer());
                ClipTextModel te = ClipTextModel.load(base.folder().textEncoder(), base.dtype());
                sd = new StableDiffusion(base.folder(), tok, te, base.unet(), base.vae(), base.schedulerConfig(), base.dtype());
            }
            Map<String, Tensor> params = base.unet().namedParameters();
            Map<String, Tensor> saved = new LinkedHashMap<>();
            try (NoGradGuard g = new NoGradGuard()) {
                for (DeltaApplier.Entry e : deltas) {
                    for (String k : e.delta().weights().keySet()) {
                        Tensor p = params.get(k);
                        if (p != null) saved.putIfAbsent(k, p.detach().clone());
                    }
                }
            }
            try {
                for (DeltaApplier.Result res : DeltaApplier.apply(sd, deltas, force)) res.warnings().forEach(log);
                return Images.toImages(sd.generate(r, progress));
            } finally {
                try (NoGradGuard g = new NoGradGuard()) {
                    for (Map.Entry<String, Tensor> e : saved.entrySet()) params.get(e.getKey()).copy_(e.getValue());
                }
            }
        }
    }
}
