package org.cd4j.concept.data;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;

import java.util.List;

/**
 * One training batch, collated like diffusers' {@code collate_fn}: the instance samples first,
 * then (with prior preservation) the class samples in the same item order, so rows
 * {@code [0, instanceCount)} take the masked instance loss and the rest the prior loss.
 *
 * @param step the optimisation step this batch belongs to
 * @param epoch the epoch of the batch's first item (a batch may straddle two epochs)
 * @param samples instance samples, then class samples
 * @param instanceCount how many leading samples are instances
 */
public record Batch(long step, long epoch, List<Sample> samples, int instanceCount) {
    /** Copies the sample list. */
    public Batch {
        samples = List.copyOf(samples);
        if (samples.isEmpty()) throw new IllegalArgumentException("empty batch");
    }

    /** Number of pictures (2 × items with prior preservation). */
    public int size() {
        return samples.size();
    }

    /** The resolution. */
    public int resolution() {
        return samples.get(0).size();
    }

    /** The latent mask side. */
    public int maskSize() {
        return samples.get(0).maskSize();
    }

    /** The captions, in row order. */
    public List<String> prompts() {
        return samples.stream().map(Sample::prompt).toList();
    }

    /** Per row: true for a class (prior) picture. */
    public boolean[] isPrior() {
        boolean[] out = new boolean[samples.size()];
        for (int i = 0; i < out.length; i++) out[i] = samples.get(i).isPrior();
        return out;
    }

    /** Per row: the {@link Sample#cacheKey}. */
    public List<String> cacheKeys() {
        return samples.stream().map(Sample::cacheKey).toList();
    }

    /** True when some instance row has an all-zero mask ({@link Sample#maskIsEmpty()}). */
    public boolean hasEmptyMask() {
        return samples.stream().anyMatch(Sample::maskIsEmpty);
    }

    /** {@code (B, 3, S, S)} pixel values in C order. */
    public float[] pixelArray() {
        int n = samples.get(0).pixels().length;
        float[] out = new float[n * samples.size()];
        for (int i = 0; i < samples.size(); i++) System.arraycopy(samples.get(i).pixels(), 0, out, i * n, n);
        return out;
    }

    /** {@code (B, 1, S/f, S/f)} masks in C order. */
    public float[] maskArray() {
        int n = samples.get(0).mask().length;
        float[] out = new float[n * samples.size()];
        for (int i = 0; i < samples.size(); i++) System.arraycopy(samples.get(i).mask(), 0, out, i * n, n);
        return out;
    }

    /** {@code pixel_values}: a new float32 tensor {@code (B, 3, S, S)}; the caller owns it. */
    public Tensor pixelValues() {
        int s = resolution();
        return Tensors.fromFloats(pixelArray(), samples.size(), 3, s, s);
    }

    /** {@code mask}: a new float32 tensor {@code (B, 1, S/f, S/f)}; the caller owns it. */
    public Tensor masks() {
        int m = maskSize();
        return Tensors.fromFloats(maskArray(), samples.size(), 1, m, m);
    }
}
