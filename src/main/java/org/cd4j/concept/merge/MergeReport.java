package org.cd4j.concept.merge;

import java.util.List;
import java.util.Locale;

/**
 * What a merge did: the token renaming, the concepts and their target prompts, the size and
 * conditioning of the linear system, and per layer how exactly the constraints hold and how much
 * the regularisation outputs moved (against the naive average of the inputs).
 *
 * @param renames         every input token and its new name, in order
 * @param concepts        the constrained concepts, in order
 * @param regRows         regularisation feature rows (token outputs of the captions)
 * @param targetRows      target feature rows kept
 * @param duplicateRows   target rows dropped because an earlier row was identical (reference step 3)
 * @param regCondition    {@code cond(C_regᵀ C_reg)}
 * @param targetCondition {@code cond(D Cᵀ)}
 * @param layers          per merged weight, in order
 * @param warnings        things the user should know (expanded low-rank inputs, ignored q/out …)
 */
public record MergeReport(List<RenamedToken> renames, List<MergeConcept> concepts, int regRows, int targetRows,
                          int duplicateRows, double regCondition, double targetCondition, List<LayerMerge> layers,
                          List<String> warnings) {
    public MergeReport {
        renames = List.copyOf(renames);
        concepts = List.copyOf(concepts);
        layers = List.copyOf(layers);
        warnings = List.copyOf(warnings);
    }

    /** One line per token: {@code <new1> of a.cd4j.safetensors -> <new1>}. */
    public String mapping() {
        StringBuilder b = new StringBuilder();
        for (RenamedToken r : renames) b.append(r).append('\n');
        return b.toString();
    }

    /** The largest constraint error over all layers. */
    public double maxConstraintError() {
        return layers.stream().mapToDouble(LayerMerge::constraintError).max().orElse(0);
    }

    /** The per-layer table {@code cd4j merge} prints, then the system's figures. */
    public String table() {
        StringBuilder b = new StringBuilder();
        int w = layers.stream().mapToInt(l -> l.name().length()).max().orElse(10);
        b.append(String.format(Locale.ROOT, "%-" + w + "s %12s %12s %12s%n", "weight", "constraint", "reg.change", "avg.change"));
        for (LayerMerge l : layers) {
            b.append(String.format(Locale.ROOT, "%-" + w + "s %12.3e %12.3e %12.3e%n", l.name(), l.constraintError(),
                    l.regChange(), l.averageRegChange()));
        }
        b.append(String.format(Locale.ROOT, "%d concept(s), %d target row(s) (%d duplicate(s) dropped), %d regularisation"
                        + " row(s); cond(C_reg^T C_reg) = %.3g, cond(D C^T) = %.3g%n", concepts.size(), targetRows,
                duplicateRows, regRows, regCondition, targetCondition));
        return b.toString();
    }

    /** The text stored in the merged delta's metadata notes. */
    public String note(List<String> sources) {
        StringBuilder b = new StringBuilder("merged by cd4j merge (Custom Diffusion Eq. 4, closed form) from ");
        b.append(String.join(", ", sources)).append("; tokens: ");
        b.append(String.join("; ", renames.stream().map(RenamedToken::toString).toList()));
        b.append("; targets: ");
        b.append(String.join(", ", concepts.stream().map(c -> "'" + c.subject() + "'").toList()));
        return b.toString();
    }
}
