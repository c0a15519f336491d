package org.cd4j.text;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.LayerNorm;
import org.cd4j.nn.Module;

import java.util.List;

/**
 * transformers' {@code CLIPTextTransformer} ({@code text_model}): embeddings, encoder and the
 * final LayerNorm. Pooling lives in {@link ClipTextModel}, which knows the config's rule.
 */
final class ClipTextTransformer extends Module {
    final ClipTextEmbeddings embeddings;
    final ClipEncoder encoder;
    final LayerNorm finalLayerNorm;

    ClipTextTransformer(ClipTextConfig c, DType dtype) {
        super(dtype);
        this.embeddings = child("embeddings", new ClipTextEmbeddings(c, dtype));
        this.encoder = child("encoder", new ClipEncoder(c, dtype));
        this.finalLayerNorm = child("final_layer_norm", new LayerNorm(c.hiddenSize(), c.layerNormEps(), dtype));
    }

    /** @param ids (B, T) int64; returns the N+1 hidden states (B, T, D), embeddings first */
    List<Tensor> hiddenStates(Tensor ids) {
        return encoder.forward(embeddings.forward(ids));
    }
}
