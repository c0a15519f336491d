package org.cd4j.concept.merge;

/**
 * How well one merged weight does its two jobs.
 *
 * @param name            the diffusers parameter name
 * @param constraintError {@code ‖Ŵ Cᵀ − Vᵀ‖_F / ‖Vᵀ‖_F}: how exactly the concepts' target
 *                        features still map to their own fine-tuned values (≈ 0 by construction)
 * @param regChange       {@code ‖(Ŵ − W0) C_regᵀ‖_F / ‖W0 C_regᵀ‖_F}: how much the merge moves
 *                        the outputs of everyday text (the quantity Eq. 4 minimises)
 * @param averageRegChange the same for the naive average of the inputs' weights, for comparison
 */
public record LayerMerge(String name, double constraintError, double regChange, double averageRegChange) {}
