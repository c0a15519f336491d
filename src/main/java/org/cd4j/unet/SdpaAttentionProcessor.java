package org.cd4j.unet;

import org.bytedeco.pytorch.Tensor;

/**
 * The default processor: plain multi-head attention through the module's
 * {@link org.cd4j.nn.AttentionKernel} — by default libtorch's fused
 * {@code scaled_dot_product_attention} (diffusers' {@code AttnProcessor2_0}).
 */
public final class SdpaAttentionProcessor implements AttentionProcessor {
    /** The shared, stateless instance. */
    public static final SdpaAttentionProcessor INSTANCE = new SdpaAttentionProcessor();

    private SdpaAttentionProcessor() {}

    @Override
    public Tensor apply(Attention attn, Tensor hidden, Tensor context) {
        Tensor ctx = context == null ? hidden : context;
        return attn.output(attn.attend(attn.query(hidden), attn.key(ctx), attn.value(ctx)));
    }

    @Override
    public String toString() {
        return "SdpaAttentionProcessor";
    }
}
