package org.cd4j.concept.merge;

import org.cd4j.concept.TrainMode;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.CrossAttnParams;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.concept.delta.DeltaWeight;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link ConceptMerger} checks and normalises before solving: no input is a full-UNet
 * ({@code --freeze-model none}) delta, whose weights outside cross-attention the merge cannot
 * combine; every input fits the base model
 * (shapes, and its recorded base-model identity when it has one), no two inputs are the same
 * concept, low-rank (compressed) weights are expanded to absolute ones with {@code W0}, and
 * {@code to_q}/{@code to_out} weights are dropped (the merge sets only keys and values).
 */
final class MergeChecks {
    private MergeChecks() {}

    /**
     * @return each input's delta with absolute key/value weights only
     * @throws IllegalArgumentException naming the input and the reason
     */
    static List<ConceptDelta> prepare(List<MergeInput> inputs, BaseModel base, List<String> warnings) throws IOException {
        for (MergeInput in : inputs) {
            if (in.delta().trainMode() == TrainMode.NONE) {
                throw new IllegalArgumentException("delta " + in.source() + " was trained with --freeze-model none (the"
                        + " full-UNet baseline: it changes every UNet weight); the closed-form merge (paper Eq. 4) is defined"
                        + " for the cross-attention key/value weights only and cannot combine the others, so it cannot be"
                        + " merged; train the concepts together with --concepts-list instead");
            }
            DeltaApplier.checkShapes(in.delta(), base, in.source());
            String recorded = in.delta().info().baseModelSha256();
            if (recorded != null) {
                String here = base.identity(in.delta().weights().keySet());
                if (!here.equals(recorded)) {
                    String named = in.delta().info().baseModelName() == null ? "" : " of " + in.delta().info().baseModelName();
                    throw new IllegalArgumentException("delta " + in.source() + " was trained on another base model (sha256 "
                            + recorded.substring(0, 12) + "…" + named + ", --model " + base.name() + " is " + here.substring(0, 12)
                            + "…); deltas of different base models cannot be merged");
                }
            }
        }
        for (int i = 0; i < inputs.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (inputs.get(i).delta().sameTensors(inputs.get(j).delta())) {
                    throw new IllegalArgumentException("deltas " + inputs.get(j).source() + " and " + inputs.get(i).source()
                            + " are identical (same weights and token embeddings); merging a concept with itself adds nothing,"
                            + " pass it once");
                }
            }
        }
        List<ConceptDelta> out = new ArrayList<>();
        for (MergeInput in : inputs) out.add(normalise(in, base, warnings));
        return out;
    }

    private static ConceptDelta normalise(MergeInput in, BaseModel base, List<String> warnings) throws IOException {
        ConceptDelta d = in.delta();
        if (d.weights().keySet().stream().anyMatch(k -> CrossAttnParams.isKeyOrValue(k) && d.weights().get(k).isLowRank())) {
            warnings.add("delta " + in.source() + " is compressed (low-rank); expanding it with the base model's weights"
                    + " (W = W0 + u@v) before merging");
        }
        Map<String, DeltaWeight> kv = new LinkedHashMap<>();
        List<String> dropped = new ArrayList<>();
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            if (!CrossAttnParams.isKeyOrValue(e.getKey())) {
                dropped.add(e.getKey());
                continue;
            }
            DeltaWeight w = e.getValue();
            kv.put(e.getKey(), w.isLowRank() ? w.expanded(base.weight(e.getKey())) : w);
        }
        if (!dropped.isEmpty()) {
            warnings.add("delta " + in.source() + " also trained " + dropped.size() + " to_q/to_out weight(s) (crossattn);"
                    + " the merge sets only to_k/to_v, as the reference does, so those stay at the base model");
        }
        if (kv.isEmpty() && d.tokens().isEmpty()) {
            throw new IllegalArgumentException("delta " + in.source() + " has no key/value weight and no token to merge");
        }
        if (kv.isEmpty()) return new ConceptDelta(Map.of(), d.tokens(), d.info().withTrainMode(null));
        return new ConceptDelta(kv, d.tokens(), d.info().withTrainMode(null));
    }
}
