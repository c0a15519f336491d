package org.cd4j.text;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.Embedding;
import org.cd4j.nn.Module;

/**
 * transformers' {@code CLIPTextEmbeddings} ({@code text_model.embeddings}): token embedding plus
 * learned absolute position embedding. The {@code position_ids} buffer some checkpoints carry is
 * not a parameter here: positions are always {@code 0..T-1}, which is what that buffer holds.
 */
final class ClipTextEmbeddings extends Module {
    private Embedding tokenEmbedding;
    private final Embedding positionEmbedding;
    /** Rows that replace the table's last rows in the forward pass (training), or null. */
    private Tensor trainableRows;
    private long firstTrainableId = -1;

    ClipTextEmbeddings(ClipTextConfig c, DType dtype) {
        super(dtype);
        this.tokenEmbedding = child("token_embedding", new Embedding(c.vocabSize(), c.hiddenSize(), dtype));
        this.positionEmbedding = child("position_embedding", new Embedding(c.maxPositionEmbeddings(), c.hiddenSize(), dtype));
    }

    /** @param ids (B, T) int64 token ids; returns (B, T, D) */
    Tensor forward(Tensor ids) {
        long t = ids.size(-1);
        // The first T rows of the position table equal an embedding lookup of arange(T), without the
        // gather, and broadcast over the batch: (B, T, D) + (T, D).
        Tensor positions = positionEmbedding.weight().narrow(0, 0, t);
        Tensor tokens = tokenEmbedding.forward(ids); // (B, T, D)
        if (trainableRows != null) {
            // Positions holding a trained token read its row from the trainable tensor, so only
            // those rows receive gradients (and weight decay); every other row stays frozen.
            long n = trainableRows.size(0);
            Tensor isNew = ids.ge(new Scalar(firstTrainableId)).unsqueeze(-1); // (B, T, 1)
            // integer bounds keep the ids int64 (double bounds would promote them to float)
            Tensor local = torch.clamp(ids.sub(new Scalar(firstTrainableId)),
                    new ScalarOptional(new Scalar(0L)), new ScalarOptional(new Scalar(n - 1))); // (B, T)
            tokens = torch.where(isNew, torch.embedding(trainableRows, local), tokens);
        }
        return tokens.add(positions);
    }

    /**
     * Makes the rows {@code firstId .. firstId + rows.size(0) - 1} come from {@code rows} (a
     * tensor that may require gradients) instead of the table; null clears it.
     */
    void setTrainableRows(long firstId, Tensor rows) {
        if (rows != null && (firstId < 0 || firstId + rows.size(0) > tokenEmbedding.num())) {
            throw new IllegalArgumentException("trainable rows " + firstId + ".." + (firstId + rows.size(0) - 1)
                    + " lie outside the " + tokenEmbedding.num() + "-row token embedding");
        }
        this.trainableRows = rows;
        this.firstTrainableId = rows == null ? -1 : firstId;
    }

    Embedding tokenEmbedding() {
        return tokenEmbedding;
    }

    /**
     * Replaces the token table by one of {@code newSize} rows: the first {@code min(old, new)} rows
     * are copied, rows beyond the old size are zero. The new weight keeps the old one's
     * {@code requires_grad}, so a trainer that already marked it trainable need not redo it.
     */
    void resizeTokenEmbedding(long newSize) {
        Embedding old = tokenEmbedding;
        long keep = Math.min(old.num(), newSize);
        Embedding fresh = new Embedding(newSize, old.weight().size(1), dtype);
        try (NoGradGuard g = new NoGradGuard()) {
            fresh.weight().narrow(0, 0, keep).copy_(old.weight().narrow(0, 0, keep));
        }
        fresh.weight().requires_grad_(old.weight().requires_grad());
        replaceChild("token_embedding", fresh);
        tokenEmbedding = fresh;
    }
}
