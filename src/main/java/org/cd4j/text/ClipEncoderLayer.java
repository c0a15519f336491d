package org.cd4j.text;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.LayerNorm;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;

/**
 * transformers' {@code CLIPEncoderLayer} ({@code text_model.encoder.layers.i}), a pre-norm
 * transformer block: {@code x + self_attn(layer_norm1(x))}, then {@code x + mlp(layer_norm2(x))}.
 */
final class ClipEncoderLayer extends Module {
    private final LayerNorm layerNorm1;
    private final ClipEncoderAttention selfAttn;
    private final LayerNorm layerNorm2;
    private final Mlp mlp;

    ClipEncoderLayer(ClipTextConfig c, DType dtype) {
        super(dtype);
        this.selfAttn = child("self_attn", new ClipEncoderAttention(c, dtype));
        this.layerNorm1 = child("layer_norm1", new LayerNorm(c.hiddenSize(), c.layerNormEps(), dtype));
        this.mlp = child("mlp", new Mlp(c, dtype));
        this.layerNorm2 = child("layer_norm2", new LayerNorm(c.hiddenSize(), c.layerNormEps(), dtype));
    }

    /** @param x (B, T, D); returns (B, T, D) */
    Tensor forward(Tensor x) {
        Tensor h = x.add(selfAttn.forward(layerNorm1.forward(x)));
        return h.add(mlp.forward(layerNorm2.forward(h)));
    }

    /** transformers' {@code CLIPMLP}: {@code fc2(act(fc1(x)))}. */
    static final class Mlp extends Module {
        private final Linear fc1;
        private final Linear fc2;
        private final String act;

        Mlp(ClipTextConfig c, DType dtype) {
            super(dtype);
            this.fc1 = child("fc1", new Linear(c.hiddenSize(), c.intermediateSize(), true, dtype));
            this.fc2 = child("fc2", new Linear(c.intermediateSize(), c.hiddenSize(), true, dtype));
            this.act = c.hiddenAct();
        }

        Tensor forward(Tensor x) {
            return fc2.forward(F.activation(act, fc1.forward(x)));
        }
    }
}
