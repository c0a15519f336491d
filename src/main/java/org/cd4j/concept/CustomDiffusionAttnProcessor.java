package org.cd4j.concept;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.F;
import org.cd4j.unet.Attention;
import org.cd4j.unet.AttentionProcessor;

/**
 * Custom Diffusion's attention: ordinary attention, but in cross-attention the key and value
 * of token 0 (the start-of-text token, identical for every prompt) pass no gradient — the
 * reference's {@code k = m*k + (1-m)*k.detach()} with {@code m[:, :1] = 0} (all three
 * implementations, reference §0.2). The forward value is unchanged.
 */
public final class CustomDiffusionAttnProcessor implements AttentionProcessor {
    /** The shared, stateless instance. */
    public static final CustomDiffusionAttnProcessor INSTANCE = new CustomDiffusionAttnProcessor();

    private CustomDiffusionAttnProcessor() {}

    @Override
    public Tensor apply(Attention attn, Tensor hidden, Tensor context) {
        Tensor ctx = context == null ? hidden : context;
        Tensor k = attn.key(ctx);   // (B, S, inner)
        Tensor v = attn.value(ctx); // (B, S, inner)
        if (context != null && k.size(1) > 1) {
            k = detachFirstToken(k);
            v = detachFirstToken(v);
        }
        return attn.output(attn.attend(attn.query(hidden), k, v));
    }

    /** (B, S, C) with row 0 of every sequence cut from the graph; values unchanged. */
    static Tensor detachFirstToken(Tensor x) {
        long s = x.size(1);
        return F.cat(1, x.narrow(1, 0, 1).detach(), x.narrow(1, 1, s - 1));
    }

    @Override
    public String toString() {
        return "CustomDiffusionAttnProcessor";
    }
}
