package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.AttentionKernel;
import org.cd4j.nn.DType;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;

import java.util.Objects;

/**
 * diffusers' {@code Attention} as used by SD's transformer blocks: bias-free {@code to_q},
 * {@code to_k}, {@code to_v} and {@code to_out.0} (with bias), {@code heads} heads of width
 * {@code dim_head}, scale {@code dim_head^-0.5}. The computation is delegated to an
 * {@link AttentionProcessor} (default {@link SdpaAttentionProcessor}), which is a plain field
 * rather than a child module, so swapping it never changes the model's state-dict names.
 *
 * <p>The projection and head helpers are public so that processors need only a few lines.
 */
public final class Attention extends Module {
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final int heads;
    private final long headDim;
    private final long queryDim;
    private final long contextDim;
    private final boolean cross;
    private final boolean upcast;
    private final double scale;
    private AttentionProcessor processor = SdpaAttentionProcessor.INSTANCE;
    private AttentionKernel kernel = AttentionKernel.DEFAULT;

    /**
     * @param queryDim          width of the hidden states
     * @param crossAttentionDim width of the encoder states this module attends to, or 0 for
     *                          self-attention (keys and values from the hidden states)
     * @param heads             number of heads
     * @param headDim           width of one head ({@code inner = heads * headDim})
     * @param upcastAttention   compute attention in float32 when the model runs in fp16/bf16
     *                          (SD-2.1's {@code upcast_attention})
     */
    public Attention(long queryDim, long crossAttentionDim, int heads, long headDim, boolean upcastAttention, DType dtype) {
        super(dtype);
        if (heads < 1 || headDim < 1) throw new IllegalArgumentException("heads and head width must be positive");
        this.queryDim = queryDim;
        this.cross = crossAttentionDim > 0;
        this.contextDim = cross ? crossAttentionDim : queryDim;
        this.heads = heads;
        this.headDim = headDim;
        this.upcast = upcastAttention;
        this.scale = 1.0 / Math.sqrt(headDim);
        long inner = heads * headDim;
        this.toQ = child("to_q", new Linear(queryDim, inner, false, dtype));
        this.toK = child("to_k", new Linear(contextDim, inner, false, dtype));
        this.toV = child("to_v", new Linear(contextDim, inner, false, dtype));
        Container out = child("to_out", new Container(dtype));
        this.toOut = out.add("0", new Linear(inner, queryDim, true, dtype)); // to_out.1 is dropout: no weights
    }

    /**
     * Runs the processor.
     *
     * @param hidden  (B, T, query_dim)
     * @param context (B, S, cross_attention_dim), or null for self-attention
     */
    public Tensor forward(Tensor hidden, Tensor context) {
        return processor.apply(this, hidden, context);
    }

    // ------------------------------------------------------------ helpers for processors

    /** {@code to_q(hidden)}: (B, T, query_dim) → (B, T, inner). */
    public Tensor query(Tensor hidden) {
        return toQ.forward(hidden);
    }

    /** {@code to_k(context)}: (B, S, context_dim) → (B, S, inner). */
    public Tensor key(Tensor context) {
        return toK.forward(context);
    }

    /** {@code to_v(context)}: (B, S, context_dim) → (B, S, inner). */
    public Tensor value(Tensor context) {
        return toV.forward(context);
    }

    /** {@code to_out.0(x)}: (B, T, inner) → (B, T, query_dim). */
    public Tensor output(Tensor x) {
        return toOut.forward(x);
    }

    /** (B, T, heads·d) → (B, heads, T, d); a view when {@code x}'s last dimension is dense. */
    public Tensor splitHeads(Tensor x) {
        return x.reshape(x.size(0), -1, heads, headDim).transpose(1, 2); // (B, heads, T, d)
    }

    /** (B, heads, T, d) → (B, T, heads·d). */
    public Tensor mergeHeads(Tensor x) {
        return x.transpose(1, 2).reshape(x.size(0), -1, heads * headDim); // (B, T, heads·d)
    }

    /**
     * Multi-head scaled dot-product attention of projected queries, keys and values:
     * {@code softmax(q kᵀ · scale) v} per head, computed by the module's {@link #kernel()}.
     *
     * @param q (B, T, inner)
     * @param k (B, S, inner)
     * @param v (B, S, inner)
     * @return (B, T, inner), before {@code to_out}
     */
    public Tensor attend(Tensor q, Tensor k, Tensor v) {
        Tensor qh = splitHeads(q); // (B, heads, T, d)
        Tensor kh = splitHeads(k); // (B, heads, S, d)
        Tensor vh = splitHeads(v); // (B, heads, S, d)
        torch.ScalarType st = q.scalar_type();
        // upcast_attention: q·kᵀ overflows fp16 in SD-2.1, so the whole fused attention runs in
        // float32 there (diffusers upcasts q and k; the fused kernel needs one dtype for all three).
        // Compared by code: JavaCPP returns a fresh enum instance from scalar_type().
        boolean up = upcast && st.value != torch.ScalarType.Float.value && st.value != torch.ScalarType.Double.value;
        if (up) {
            qh = qh.to(torch.ScalarType.Float);
            kh = kh.to(torch.ScalarType.Float);
            vh = vh.to(torch.ScalarType.Float);
        }
        Tensor o = kernel.attend(qh, kh, vh, scale); // (B, heads, T, d)
        if (up) o = o.to(st);
        return mergeHeads(o);
    }

    // ------------------------------------------------------------ processor and properties

    /** The current processor. */
    public AttentionProcessor processor() {
        return processor;
    }

    /** Replaces the processor (for example with a Custom Diffusion one). */
    public void setProcessor(AttentionProcessor processor) {
        this.processor = Objects.requireNonNull(processor, "processor");
    }

    /** How {@link #attend} computes attention (by default {@link AttentionKernel#DEFAULT}). */
    public AttentionKernel kernel() {
        return kernel;
    }

    /** Chooses how {@link #attend} computes attention; the result is the same up to summation order. */
    public void setKernel(AttentionKernel kernel) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
    }

    /**
     * Whether keys and values come from the encoder hidden states: true for {@code attn2}, and
     * for {@code attn1} of blocks with {@code only_cross_attention}.
     */
    public boolean isCrossAttention() {
        return cross;
    }

    public Linear toQ() {
        return toQ;
    }

    public Linear toK() {
        return toK;
    }

    public Linear toV() {
        return toV;
    }

    /** {@code to_out.0}. */
    public Linear toOut() {
        return toOut;
    }

    public int heads() {
        return heads;
    }

    public long headDim() {
        return headDim;
    }

    /** Width of the hidden states (input and output). */
    public long queryDim() {
        return queryDim;
    }

    /** Width of what keys and values are projected from (the query width for self-attention). */
    public long contextDim() {
        return contextDim;
    }

    /** {@code heads · head_dim}. */
    public long innerDim() {
        return heads * headDim;
    }

    public boolean upcastAttention() {
        return upcast;
    }

    /** Softmax scale {@code head_dim^-0.5}. */
    public double scale() {
        return scale;
    }
}
