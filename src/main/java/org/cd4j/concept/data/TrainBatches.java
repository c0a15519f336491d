package org.cd4j.concept.data;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The batch of any optimisation step, computed directly: no iterator state, so a run resumed at
 * step k asks for {@code batch(k)} and gets exactly what an uninterrupted run got.
 *
 * <p>Items are read as one endless stream of epochs, like a {@code DataLoader(shuffle=True)}
 * that reshuffles every epoch: stream position {@code p = step × B + j} is item
 * {@code order(epoch)[p mod len]} with {@code epoch = p / len}, where {@code order(e)} is a
 * permutation drawn from {@code (seed, e)}. Unlike the reference's loader (which ends each epoch
 * with a short batch), every batch is full; one may straddle an epoch boundary. Samples are
 * augmented in parallel; the result does not depend on it.
 */
public final class TrainBatches {
    static final long TAG_ORDER = 0x0DE4;

    private final ConceptDataset dataset;
    private final int batchSize;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    /** Batches of {@code batchSize} items ({@code --train-batch-size}). */
    public TrainBatches(ConceptDataset dataset, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
        this.dataset = dataset;
        this.batchSize = batchSize;
    }

    /** Items per batch (pictures per batch are twice that with prior preservation). */
    public int batchSize() {
        return batchSize;
    }

    /** The epoch that step {@code step}'s first item belongs to. */
    public long epochOf(long step) {
        return Math.multiplyExact(step, batchSize) / dataset.size();
    }

    /** Steps per epoch, rounded up (an epoch's last batch may finish in the next epoch). */
    public long stepsPerEpoch() {
        return (dataset.size() + batchSize - 1) / batchSize;
    }

    /** The item order of an epoch: a permutation of {@code [0, dataset.size())}. */
    public synchronized int[] order(long epoch) {
        if (epoch != cachedEpoch) {
            cachedOrder = DataRandom.of(dataset.seed(), TAG_ORDER, epoch).permutation(dataset.size());
            cachedEpoch = epoch;
        }
        return cachedOrder.clone();
    }

    /** The (epoch, item) pairs of step {@code step}, in batch order. */
    public long[][] items(long step) {
        if (step < 0) throw new IllegalArgumentException("negative step " + step);
        int len = dataset.size();
        long[][] out = new long[batchSize][];
        int[] order = null;
        long orderEpoch = -1;
        for (int j = 0; j < batchSize; j++) {
            long p = Math.addExact(Math.multiplyExact(step, batchSize), j);
            long epoch = p / len;
            if (epoch != orderEpoch) {
                order = order(epoch);
                orderEpoch = epoch;
            }
            out[j] = new long[] {epoch, order[(int) (p % len)]};
        }
        return out;
    }

    /** The batch of step {@code step} (0-based). */
    public Batch batch(long step) {
        long[][] items = items(step);
        ConceptDataset.Item[] got = new ConceptDataset.Item[items.length];
        IntStream.range(0, items.length).parallel()
                .forEach(j -> got[j] = dataset.get(items[j][0], (int) items[j][1]));
        List<Sample> samples = new ArrayList<>();
        for (ConceptDataset.Item it : got) samples.add(it.instance());
        if (dataset.withPriorPreservation()) {
            for (ConceptDataset.Item it : got) samples.add(it.prior());
        }
        return new Batch(step, items[0][0], samples, got.length);
    }
}
