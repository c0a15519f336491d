package org.cd4j.concept.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.concept.TrainMode;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.CrossAttnParams;
import org.cd4j.concept.delta.DeltaInfo;
import org.cd4j.concept.delta.DeltaWeight;
import org.cd4j.nn.F;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges separately trained concepts into one delta by the closed-form constrained least squares
 * of the paper's Eq. 4, as adobe's {@code src/diffusers_composenW.py} does (reference §1.9), for
 * any number of inputs and for inputs with several tokens:
 * <ol>
 *   <li>tokens are renamed {@code <new1>…<newN>} in input order ({@link RenamedToken}) and added,
 *       with their rows, to the base text encoder ({@link TextFeatures});</li>
 *   <li>{@code C_reg}: the features of the regularisation captions;</li>
 *   <li>per concept, the features {@code C_k} of its two target prompts ({@link MergeConcept}) and
 *       their values {@code V_k = (W_k C_kᵀ)ᵀ} under its own fine-tuned weight; target rows equal
 *       to an earlier one are dropped with their values;</li>
 *   <li>for every key/value weight, {@code Ŵ = W0 + (Vᵀ − W0 Cᵀ)(D Cᵀ)⁻¹ D} ({@link ClosedFormMerge}).</li>
 * </ol>
 * Only {@code to_k}/{@code to_v} are merged; {@code crossattn} deltas' {@code to_q}/{@code to_out}
 * are left at the base model, as the reference does (with a warning). Compressed inputs are
 * expanded with {@code W0} first.
 *
 * <p>Departures from the reference, all deliberate: every token of every input is kept (the
 * reference keeps one per input), tokens are numbered consecutively over inputs that have them
 * (the reference skips a number for a token-less input), and the system is solved in float64
 * (the reference's float32 LU is dominated by rounding once {@code cond(C_regᵀC_reg)} passes
 * ~1e6, which then makes its weights differ from these; the report warns).
 */
public final class ConceptMerger {
    /**
     * @param limits condition-number limits beyond which the merge is refused
     */
    public record Options(ClosedFormMerge.Limits limits) {
        public static Options defaults() {
            return new Options(ClosedFormMerge.Limits.DEFAULT);
        }
    }

    /**
     * Above this {@code cond(C_regᵀ C_reg)} a float32 solve — the reference's ({@code scipy}
     * {@code lu_factor} on float32 features) — loses more than ~6% of its accuracy (error ≈ cond ×
     * 6e-8), so its output is dominated by rounding and cd4j's float64 result will differ from it.
     */
    static final double FLOAT32_RELIABLE_CONDITION = 1e6;

    /** The merged delta (full float32 k/v weights, tokens {@code <new1>…}) and what the merge did. */
    public record Result(ConceptDelta delta, MergeReport report) {}

    private ConceptMerger() {}

    /**
     * Merges {@code inputs}, all trained on the model in {@code modelDir}.
     *
     * @param captions the regularisation captions ({@link RegCaptions})
     * @throws IllegalArgumentException       for unusable inputs (another base model, identical deltas …)
     * @throws IllConditionedMergeException when the linear system cannot be solved reliably
     */
    public static Result merge(Path modelDir, List<MergeInput> inputs, List<String> captions, Options options)
            throws IOException {
        if (inputs.size() < 2) {
            throw new IllegalArgumentException("a merge needs at least two deltas, got " + inputs.size());
        }
        if (captions.stream().allMatch(String::isBlank)) {
            throw new IllegalArgumentException("no regularisation captions: the caption list is empty");
        }
        List<String> warnings = new ArrayList<>();
        try (BaseModel base = BaseModel.open(modelDir)) {
            List<ConceptDelta> deltas = MergeChecks.prepare(inputs, base, warnings);
            List<RenamedToken> renames = new ArrayList<>();
            Map<String, Tensor> rows = new LinkedHashMap<>();
            List<MergeConcept> concepts = new ArrayList<>();
            rename(inputs, deltas, renames, rows, concepts);

            TextFeatures text = TextFeatures.load(modelDir, rows);
            Tensor reg = text.features(captions); // (N, d)
            List<Tensor> perConcept = new ArrayList<>();
            for (MergeConcept c : concepts) perConcept.add(text.featuresOneByOne(c.prompts())); // (M_k, d)
            Tensor all = F.cat(perConcept, 0); // (M_all, d)
            long[] keep = keptRows(duplicateOf(all), perConcept, concepts, inputs, warnings);
            Tensor keepIdx = Tensors.fromLongs(keep, keep.length);
            ClosedFormMerge system = ClosedFormMerge.prepare(reg, all.index_select(0, keepIdx), options.limits());
            if (system.regularizationCondition() > FLOAT32_RELIABLE_CONDITION) {
                warnings.add(String.format(java.util.Locale.ROOT, "cond(C_reg^T C_reg) = %.3g: solved in float64 (accurate to"
                        + " ~%.0e); a float32 solve such as the reference script's would be dominated by rounding here,"
                        + " so its weights would differ from these", system.regularizationCondition(),
                        system.regularizationCondition() * 1.1e-16));
            }

            Map<String, DeltaWeight> merged = new LinkedHashMap<>();
            List<LayerMerge> layers = new ArrayList<>();
            for (String layer : kvLayers(deltas)) {
                // One scope per layer releases its float64 temporaries (SD-1.5: ~60 MB a layer) at once.
                try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                    Tensor w0 = base.weight(layer).to(torch.ScalarType.Double); // (out, d)
                    List<Tensor> values = new ArrayList<>();
                    for (int i = 0; i < concepts.size(); i++) {
                        Tensor wk = weightOf(deltas.get(concepts.get(i).input()), layer, w0);
                        values.add(perConcept.get(i).matmul(wk.t())); // (M_k, out) = (W_k C_kᵀ)ᵀ
                    }
                    Tensor v = F.cat(values, 0).index_select(0, keepIdx); // (M, out)
                    Tensor w = system.solve(w0, v); // (out, d)
                    scope.attach(w); // solve retained it: hand that reference to this scope
                    w.releaseReference();
                    layers.add(diagnose(layer, system, w, w0, v, deltas));
                    Tensor stored = w.to(torch.ScalarType.Float).contiguous();
                    stored.retainReference(); // outlives the scope, in the merged delta
                    merged.put(layer, DeltaWeight.full(stored));
                }
            }
            MergeReport report = new MergeReport(renames, concepts, (int) reg.size(0), keep.length,
                    (int) (all.size(0) - keep.length), system.regularizationCondition(), system.targetCondition(), layers,
                    warnings);
            Map<String, Tensor> tokens = new LinkedHashMap<>();
            rows.forEach((k, r) -> tokens.put(k, r.to(torch.ScalarType.Float).contiguous()));
            DeltaInfo info = info(inputs, deltas, concepts, report, base, merged, captions.size());
            return new Result(new ConceptDelta(merged, tokens, info), report);
        }
    }

    /** Renames every input's tokens to {@code <new1>…} and builds the concepts to constrain. */
    private static void rename(List<MergeInput> inputs, List<ConceptDelta> deltas, List<RenamedToken> renames,
                               Map<String, Tensor> rows, List<MergeConcept> concepts) {
        int next = 1;
        for (int i = 0; i < inputs.size(); i++) {
            MergeInput in = inputs.get(i);
            List<String> names = new ArrayList<>();
            for (Map.Entry<String, Tensor> t : deltas.get(i).tokens().entrySet()) {
                String name = "<new" + next++ + ">";
                renames.add(new RenamedToken(in.source(), t.getKey(), name));
                rows.put(name, t.getValue());
                names.add(name);
            }
            if (in.categories().size() == 1) {
                concepts.add(new MergeConcept(i, names, in.categories().get(0)));
            } else {
                for (int k = 0; k < names.size(); k++) concepts.add(new MergeConcept(i, List.of(names.get(k)), in.categories().get(k)));
            }
        }
    }

    /**
     * For each row, the index of the first earlier row identical to it, or -1 (the reference drops
     * row j when {@code mean|r_i − r_j| == 0} for some i &lt; j).
     */
    static long[] duplicateOf(Tensor rows) {
        long[] dup = new long[(int) rows.size(0)];
        try (NoGradGuard g = new NoGradGuard()) {
            for (int j = 0; j < dup.length; j++) {
                dup[j] = -1;
                for (int i = 0; i < j && dup[j] < 0; i++) if (rows.select(0, i).equal(rows.select(0, j))) dup[j] = i;
            }
        }
        return dup;
    }

    /** The rows to keep, and a warning for each concept whose rows duplicate another concept's. */
    private static long[] keptRows(long[] dup, List<Tensor> perConcept, List<MergeConcept> concepts, List<MergeInput> inputs,
                                   List<String> warnings) {
        int[] owner = new int[dup.length];
        for (int c = 0, row = 0; c < perConcept.size(); c++) {
            for (long k = 0; k < perConcept.get(c).size(0); k++) owner[row++] = c;
        }
        List<Long> keep = new ArrayList<>();
        java.util.Set<String> reported = new java.util.HashSet<>();
        for (int j = 0; j < dup.length; j++) {
            if (dup[j] < 0) {
                keep.add((long) j);
                continue;
            }
            MergeConcept a = concepts.get(owner[(int) dup[j]]), b = concepts.get(owner[j]);
            if (a != b && reported.add(a.subject() + "|" + b.subject())) {
                warnings.add("the target features of '" + b.subject() + "' (" + inputs.get(b.input()).source() + ") repeat those of '"
                        + a.subject() + "' (" + inputs.get(a.input()).source() + "), so only the first concept's values are kept"
                        + " for them (same token embedding and category: are these the same concept?)");
            }
        }
        return keep.stream().mapToLong(Long::longValue).toArray();
    }

    /** Every key/value weight any input sets, in diffusers' order. */
    private static List<String> kvLayers(List<ConceptDelta> deltas) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>(CrossAttnParams.DIFFUSERS_ORDER);
        for (ConceptDelta d : deltas) d.weights().keySet().stream().filter(CrossAttnParams::isKeyOrValue).forEach(names::add);
        return List.copyOf(names);
    }

    /** An input's fine-tuned weight for {@code layer} (float64), or {@code W0} when it leaves the layer unchanged. */
    private static Tensor weightOf(ConceptDelta d, String layer, Tensor w0) {
        DeltaWeight w = d.weights().get(layer);
        return w == null ? w0 : w.full().to(torch.ScalarType.Double);
    }

    private static LayerMerge diagnose(String layer, ClosedFormMerge system, Tensor w, Tensor w0, Tensor v,
                                       List<ConceptDelta> deltas) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor avg = null;
            for (ConceptDelta d : deltas) {
                Tensor wk = weightOf(d, layer, w0);
                avg = avg == null ? wk.clone() : avg.add(wk);
            }
            avg = avg.div(new org.bytedeco.pytorch.Scalar((double) deltas.size()));
            double baseNorm = Math.max(system.regNorm(w0), 1e-300);
            return new LayerMerge(layer, system.constraintError(w, v), system.regNorm(w.sub(w0)) / baseNorm,
                    system.regNorm(avg.sub(w0)) / baseNorm);
        }
    }

    /** The merged delta's metadata: base identity, the merge's inputs and categories, and the token mapping. */
    private static DeltaInfo info(List<MergeInput> inputs, List<ConceptDelta> deltas, List<MergeConcept> concepts,
                                  MergeReport report, BaseModel base, Map<String, DeltaWeight> merged, int captions)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode training = json.createObjectNode();
        ObjectNode merge = training.putObject("merge");
        ArrayNode from = merge.putArray("inputs");
        for (MergeInput in : inputs) from.add(in.source());
        ArrayNode cats = training.putArray("merge-categories"); // one per token, so a merged delta can be merged again
        List<String> initializers = new ArrayList<>();
        boolean allInitializers = true;
        for (int i = 0; i < inputs.size(); i++) {
            ConceptDelta d = deltas.get(i);
            for (int k = 0; k < d.tokens().size(); k++) {
                cats.add(inputs.get(i).categories().size() == 1 ? inputs.get(i).categories().get(0) : inputs.get(i).categories().get(k));
            }
            List<String> init = d.info().initializerTokens();
            if (init.size() == d.tokens().size()) initializers.addAll(init);
            else allInitializers = allInitializers && d.tokens().isEmpty();
        }
        ObjectNode mapping = merge.putObject("tokens");
        for (RenamedToken r : report.renames()) mapping.put(r.renamed(), r.original() + " of " + r.source());
        ArrayNode targets = merge.putArray("targets");
        for (MergeConcept c : concepts) targets.add(c.subject());
        merge.put("regularization-captions", captions);
        List<String> sources = inputs.stream().map(MergeInput::source).toList();
        return new DeltaInfo(DeltaInfo.FORMAT_VERSION, allInitializers ? initializers : List.of(), TrainMode.CROSSATTN_KV,
                base.identity(merged.keySet()), base.name(), training.toString(), report.note(sources));
    }
}
