package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;

/**
 * How an {@link Attention} module computes its output: the seam through which Custom Diffusion
 * (and any other method that changes keys/values, such as LoRA) replaces attention without
 * touching the model. Mirrors diffusers' attention processors.
 *
 * <p>An implementation normally builds on the module's helpers:
 * <pre>{@code
 * Tensor ctx = context == null ? hidden : context;
 * Tensor k = attn.key(ctx), v = attn.value(ctx);
 * // ... change k / v, e.g. detach position 0 ...
 * return attn.output(attn.attend(attn.query(hidden), k, v));
 * }</pre>
 */
@FunctionalInterface
public interface AttentionProcessor {
    /**
     * @param attn    the module (its projections, head count, scale)
     * @param hidden  normalised hidden states, (B, T, query_dim)
     * @param context encoder hidden states (B, S, cross_attention_dim) for cross-attention, or
     *                null for self-attention
     * @return (B, T, query_dim), after {@code to_out}
     */
    Tensor apply(Attention attn, Tensor hidden, Tensor context);
}
