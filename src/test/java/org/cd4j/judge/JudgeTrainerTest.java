package org.cd4j.judge;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class JudgeTrainerTest {
    @Test
    void aSeedNamesTheWeights() {
        JudgeTrainer.Options o = new JudgeTrainer.Options(2, 4, 1e-3, 1, 7);
        List<Double> losses = new ArrayList<>();
        Judge a = JudgeTrainer.train(o, (step, total, loss, s) -> losses.add(loss));
        Judge b = JudgeTrainer.train(o, (step, total, loss, s) -> { });
        Judge c = JudgeTrainer.train(new JudgeTrainer.Options(2, 4, 1e-3, 1, 8), (step, total, loss, s) -> { });
        Map<String, Tensor> pa = a.namedParameters(), pb = b.namedParameters(), pc = c.namedParameters();
        for (String k : pa.keySet()) assertThat(Tensors.maxAbsDiff(pa.get(k), pb.get(k))).as(k).isZero();
        assertThat(Tensors.maxAbsDiff(pa.get("conv_in.weight"), pc.get("conv_in.weight"))).isPositive();
        // seven heads, each starting near ln(classes): about 1.8 + 2.3 + 1.6 + 2.3 + 1.8 + 1.1 + 1.6
        assertThat(losses).hasSize(2);
        assertThat(losses.get(0)).isBetween(8.0, 17.0);
        assertThat(a.namedParameters().get("embed.weight").requires_grad()).isFalse();
    }

    @Test
    void learningRateWarmsUpThenDecaysToATenth() {
        JudgeTrainer.Options o = new JudgeTrainer.Options(110, 32, 2e-3, 10, 1);
        assertThat(JudgeTrainer.learningRate(o, 0)).isCloseTo(2e-4, within(1e-15));
        assertThat(JudgeTrainer.learningRate(o, 9)).isCloseTo(2e-3, within(1e-15));
        assertThat(JudgeTrainer.learningRate(o, 10)).isCloseTo(2e-3, within(1e-15));
        assertThat(JudgeTrainer.learningRate(o, 60)).isCloseTo(2e-3 * 0.55, within(1e-15));
        assertThat(JudgeTrainer.learningRate(o, 110)).isCloseTo(2e-4, within(1e-15));
    }

    @Test
    void plainObjectsDoNotTrainThePatternColour() {
        Tensor logits = Tensors.fromFloats(new float[]{1, 2, 3, 3, 2, 1}, 2, 3);
        Tensor none = Tensors.fromLongs(new long[]{Head.UNDEFINED, Head.UNDEFINED}, 2);
        assertThat(JudgeTrainer.crossEntropy(logits, none).item_double()).isZero();
        // only the second row counts: -log softmax([3, 2, 1])[0]
        Tensor one = Tensors.fromLongs(new long[]{Head.UNDEFINED, 0}, 2);
        double expected = -Math.log(Math.exp(3) / (Math.exp(3) + Math.exp(2) + Math.exp(1)));
        assertThat(JudgeTrainer.crossEntropy(logits, one).item_double()).isCloseTo(expected, within(1e-6));
    }

    @Test
    void badOptionsAreRefused() {
        assertThatThrownBy(() -> new JudgeTrainer.Options(0, 32, 1e-3, 0, 1)).hasMessageContaining("steps must be >= 1");
        assertThatThrownBy(() -> new JudgeTrainer.Options(1, 0, 1e-3, 0, 1)).hasMessageContaining("batch size");
        assertThatThrownBy(() -> new JudgeTrainer.Options(1, 1, 0, 0, 1)).hasMessageContaining("learning rate");
    }
}
