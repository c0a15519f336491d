package org.cd4j.text;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;

import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code CLIPEncoder} ({@code text_model.encoder}): the stack of
 * {@link ClipEncoderLayer}s under {@code layers.0 ... layers.N-1}.
 */
final class ClipEncoder extends Module {
    private final Layers layers;

    ClipEncoder(ClipTextConfig c, DType dtype) {
        super(dtype);
        this.layers = child("layers", new Layers(c, dtype));
    }

    /**
     * Runs every layer, collecting the hidden states as transformers does with
     * {@code output_hidden_states=True}: the input first, then each layer's output.
     *
     * @param x (B, T, D) embeddings
     * @return N+1 tensors of shape (B, T, D)
     */
    List<Tensor> forward(Tensor x) {
        List<Tensor> states = new ArrayList<>(layers.list.size() + 1);
        states.add(x);
        Tensor h = x;
        for (ClipEncoderLayer layer : layers.list) {
            h = layer.forward(h);
            states.add(h);
        }
        return states;
    }

    /** The {@code nn.ModuleList} of layers, named by index. */
    static final class Layers extends Module {
        final List<ClipEncoderLayer> list = new ArrayList<>();

        Layers(ClipTextConfig c, DType dtype) {
            super(dtype);
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                list.add(child(Integer.toString(i), new ClipEncoderLayer(c, dtype)));
            }
        }
    }
}
