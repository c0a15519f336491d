package org.cd4j.concept;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;
import org.cd4j.pipeline.Fixtures;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Backward computes gradients for the trained tensors only: frozen weights never get one. */
class TrainableModelTest {
    @Test
    void frozenWeightsGetNoGradient() throws Exception {
        StableDiffusion sd = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        ModifierTokens tokens = ModifierTokens.add(sd.tokenizer(), sd.textEncoder(), List.of("<new1>"), List.of("ktn"));
        TrainableModel tm = TrainableModel.prepare(sd, tokens, TrainMode.CROSSATTN_KV);
        Rng rng = Rng.seeded(3);
        Tensor ehs = sd.textEncoder().forward(sd.tokenIds("photo of a <new1> pot")).lastHiddenState();
        Tensor pred = sd.unet().forward(rng.randn(1, 4, 8, 8), rng.randint(0, 1000, 1), ehs);
        pred.square().mean().backward();

        assertThat(tm.tokenRows().grad().defined()).isTrue();
        int trained = 0;
        for (Map.Entry<String, Module> part : Map.<String, Module>of("unet", sd.unet(), "text_encoder", sd.textEncoder(),
                "vae", sd.vae()).entrySet()) {
            for (Map.Entry<String, Tensor> e : part.getValue().namedParameters().entrySet()) {
                boolean trains = part.getKey().equals("unet") && TrainMode.CROSSATTN_KV.trains(e.getKey());
                assertThat(e.getValue().requires_grad()).as(e.getKey()).isEqualTo(trains);
                assertThat(e.getValue().grad().defined()).as(part.getKey() + "." + e.getKey() + " has a gradient").isEqualTo(trains);
                trained += trains ? 1 : 0;
            }
        }
        assertThat(trained).isEqualTo(12);
    }
}
