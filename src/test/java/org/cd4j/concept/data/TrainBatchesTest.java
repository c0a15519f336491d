package org.cd4j.concept.data;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class TrainBatchesTest {
    static ConceptDataset dataset(long seed, int numClass, boolean hflip, boolean centerCrop) throws IOException {
        Augmentation aug = new Augmentation(64, 8, hflip, true, centerCrop);
        return ConceptDataset.build(List.of(ConceptDatasetTest.POT),
                ConceptDataset.Options.of(aug, seed).withPrior(true, numClass).withModifierTokens(List.of("<new1>")));
    }

    static void assertSame(Batch a, Batch b) {
        assertThat(a.size()).isEqualTo(b.size());
        assertThat(a.prompts()).isEqualTo(b.prompts());
        assertThat(a.cacheKeys()).isEqualTo(b.cacheKeys());
        assertThat(a.isPrior()).isEqualTo(b.isPrior());
        assertThat(Arrays.equals(a.pixelArray(), b.pixelArray())).isTrue();
        assertThat(Arrays.equals(a.maskArray(), b.maskArray())).isTrue();
    }

    @Test
    void sameSeedSameBatches() throws IOException {
        TrainBatches a = new TrainBatches(dataset(42, 5, true, false), 3);
        TrainBatches b = new TrainBatches(dataset(42, 5, true, false), 3);
        for (long step = 0; step < 8; step++) assertSame(a.batch(step), b.batch(step));
        TrainBatches c = new TrainBatches(dataset(7, 5, true, false), 3);
        assertThat(c.batch(0).cacheKeys()).isNotEqualTo(a.batch(0).cacheKeys());
    }

    @Test
    void batchAtStepEqualsTheSequentialPass() throws IOException {
        ConceptDataset ds = dataset(3, 5, true, false);
        int b = 3, len = ds.size(); // 8 items: batches straddle epochs (3 does not divide 8)
        TrainBatches seq = new TrainBatches(ds, b);
        // A plain sequential pass: walk the epochs in order, each in its shuffled order.
        List<long[]> stream = new ArrayList<>();
        for (long e = 0; e < 4; e++) for (int idx : seq.order(e)) stream.add(new long[] {e, idx});
        int steps = stream.size() / b;
        List<Batch> sequential = new ArrayList<>();
        for (int s = 0; s < steps; s++) sequential.add(seq.batch(s));
        for (int s = 0; s < steps; s++) {
            List<ConceptDataset.Item> items = new ArrayList<>();
            for (int j = 0; j < b; j++) {
                long[] ei = stream.get(s * b + j);
                items.add(ds.get(ei[0], (int) ei[1]));
            }
            Batch got = sequential.get(s);
            for (int j = 0; j < b; j++) {
                assertThat(got.samples().get(j).cacheKey()).isEqualTo(items.get(j).instance().cacheKey());
                assertThat(got.samples().get(b + j).cacheKey()).isEqualTo(items.get(j).prior().cacheKey());
            }
        }
        // A "resumed" run asks for step k directly, out of order, on a fresh object.
        TrainBatches resumed = new TrainBatches(dataset(3, 5, true, false), b);
        for (int k : new int[] {9, 4, 0, 7}) assertSame(resumed.batch(k), sequential.get(k));
        assertThat(seq.epochOf(2)).isZero(); // items 6..8: starts in epoch 0
        assertThat(seq.epochOf(3)).isEqualTo(1);
        assertThat(seq.stepsPerEpoch()).isEqualTo(3);
        assertThat(len).isEqualTo(8);
    }

    @Test
    void everyEpochVisitsEveryItemOnceInANewOrder() throws IOException {
        TrainBatches tb = new TrainBatches(dataset(11, 5, false, false), 4);
        int[] e0 = tb.order(0), e1 = tb.order(1);
        assertThat(Arrays.stream(e0).sorted().toArray()).isEqualTo(IntStream.range(0, 8).toArray());
        assertThat(Arrays.stream(e1).sorted().toArray()).isEqualTo(IntStream.range(0, 8).toArray());
        assertThat(e0).isNotEqualTo(e1);
        // steps 0 and 1 together cover epoch 0 exactly
        List<Long> seen = new ArrayList<>();
        for (long s = 0; s < 2; s++) for (long[] it : tb.items(s)) { assertThat(it[0]).isZero(); seen.add(it[1]); }
        assertThat(seen).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    }

    @Test
    void collatesInstancesThenClassPictures() throws IOException {
        TrainBatches tb = new TrainBatches(dataset(5, 8, false, false), 2);
        Batch batch = tb.batch(0);
        assertThat(batch.size()).isEqualTo(4);
        assertThat(batch.instanceCount()).isEqualTo(2);
        assertThat(batch.isPrior()).containsExactly(false, false, true, true);
        assertThat(batch.prompts().get(0)).endsWith("photo of a <new1> wooden pot");
        assertThat(batch.prompts().get(1)).endsWith("photo of a <new1> wooden pot");
        assertThat(batch.prompts().get(2)).doesNotContain("<new1>");
        Tensor px = batch.pixelValues();
        Tensor masks = batch.masks();
        assertThat(Tensors.shape(px)).containsExactly(4, 3, 64, 64);
        assertThat(Tensors.shape(masks)).containsExactly(4, 1, 8, 8);
        assertThat(Tensors.toFloats(px)).containsExactly(batch.pixelArray());
        assertThat(Tensors.toFloats(masks)).containsExactly(batch.maskArray());
        float[] all = batch.pixelArray();
        for (float v : all) assertThat(v).isBetween(-1f, 1f);
        assertThat(Arrays.copyOfRange(all, 3 * 64 * 64 * 2, 3 * 64 * 64 * 3)).isEqualTo(batch.samples().get(2).pixels());
        px.close();
        masks.close();
    }

    @Test
    void fixedClassCropsShareCacheKeysAcrossEpochs() throws IOException {
        ConceptDataset ds = dataset(9, 8, false, true);
        Sample a = ds.get(0, 3).prior(), b = ds.get(5, 3).prior();
        assertThat(a.reusable()).isTrue();
        assertThat(a.cacheKey()).isEqualTo(b.cacheKey());
        assertThat(a.pixels()).isEqualTo(b.pixels());
        assertThat(ds.get(0, 3).instance().reusable()).as("zoom augmentation is on").isFalse();
        // The fixture's class pictures are square, so a random crop has one position too and
        // only flips vary them: two variants at most.
        ConceptDataset random = dataset(9, 8, true, false);
        assertThat(random.get(0, 3).prior().reusable()).isTrue();
        long distinct = IntStream.range(0, 12).mapToObj(e -> random.get(e, 3).prior().cacheKey()).distinct().count();
        assertThat(distinct).isEqualTo(2);
    }
}
