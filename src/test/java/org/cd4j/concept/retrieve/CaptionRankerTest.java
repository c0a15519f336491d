package org.cd4j.concept.retrieve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The ranking of a local collection, on tiny-sd1 against the reference: transformers'
 * {@code pooler_output} of the fixture prompts (refs/tiny-sd1/text_encoder.safetensors) gives
 * the expected unit features, cosines and order.
 */
class CaptionRankerTest {
    static CaptionRanker ranker;
    static List<String> prompts;
    static double[][] reference;

    @BeforeAll
    static void load() throws IOException {
        ranker = CaptionRanker.load(Fixtures.tinySd1());
        // index.json holds Python's -Infinity elsewhere
        JsonNode index = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build()
                .readTree(Fixtures.path("refs/tiny-sd1/index.json").toFile());
        // te.pooler_output holds prompts [0, 1, 2, 5, 6, 7, 8] of the index (see its description)
        int[] which = {0, 1, 2, 5, 6, 7, 8};
        prompts = new ArrayList<>();
        for (int i : which) prompts.add(index.get("prompts").get(i).asText());
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.path("refs/tiny-sd1/text_encoder.safetensors"))) {
            Tensor pooled = f.tensor("te.pooler_output"); // (7, 32)
            float[] v = Tensors.toFloats(pooled);
            int d = (int) pooled.size(1);
            reference = new double[which.length][d];
            for (int i = 0; i < which.length; i++) {
                double n = 0;
                for (int k = 0; k < d; k++) n += (double) v[i * d + k] * v[i * d + k];
                for (int k = 0; k < d; k++) reference[i][k] = v[i * d + k] / Math.sqrt(n);
            }
        }
    }

    @Test
    void featuresAreTheReferencePooledOutputsAtUnitLength() {
        double[][] f = ranker.features(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            for (int k = 0; k < f[i].length; k++) {
                assertThat(f[i][k]).as("prompt %d (%s) dim %d", i, prompts.get(i), k).isCloseTo(reference[i][k], within(2e-5));
            }
        }
    }

    @Test
    void ranksByTheReferenceCosines() {
        String query = prompts.get(0); // "a photo of a cat"
        List<String> captions = prompts.subList(1, prompts.size());
        List<CaptionRanker.Ranked> ranked = ranker.rank(query, captions);
        List<Integer> expectedOrder = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) expectedOrder.add(i);
        expectedOrder.sort(Comparator.comparingDouble((Integer i) -> -dot(reference[0], reference[i + 1])));
        assertThat(ranked).extracting(CaptionRanker.Ranked::index).containsExactlyElementsOf(expectedOrder);
        for (CaptionRanker.Ranked r : ranked) {
            assertThat(r.similarity()).as(captions.get(r.index())).isCloseTo(dot(reference[0], reference[r.index() + 1]), within(5e-5));
        }
    }

    @Test
    void equalCaptionsTieInListOrderAndTheQueryItselfScoresOne() {
        List<String> captions = List.of("a dog", "a photo of a cat", "a dog", "a bowl of soup", "a photo of a cat");
        List<CaptionRanker.Ranked> r = ranker.rank("a photo of a cat", captions);
        assertThat(r.get(0).index()).isEqualTo(1);
        assertThat(r.get(1).index()).isEqualTo(4);
        assertThat(r.get(0).similarity()).isCloseTo(1.0, within(1e-12)).isEqualTo(r.get(1).similarity());
        int dog1 = -1, dog2 = -1;
        for (int i = 0; i < r.size(); i++) {
            if (r.get(i).index() == 0) dog1 = i;
            if (r.get(i).index() == 2) dog2 = i;
        }
        assertThat(dog2).as("the second 'a dog' right after the first").isEqualTo(dog1 + 1);
        assertThat(r.get(dog1).similarity()).isEqualTo(r.get(dog2).similarity());
    }

    @Test
    void aBatchCutAfterItsLongestPromptEqualsPromptsEncodedAlone() {
        List<String> mixed = List.of("cat", "a photo of a cat on a wooden table next to a red ball", prompts.get(5), "");
        double[][] together = ranker.features(mixed);
        for (int i = 0; i < mixed.size(); i++) {
            double[] alone = ranker.features(List.of(mixed.get(i)))[0];
            for (int k = 0; k < alone.length; k++) assertThat(together[i][k]).isCloseTo(alone[k], within(1e-6));
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += a[k] * b[k];
        return s;
    }
}
