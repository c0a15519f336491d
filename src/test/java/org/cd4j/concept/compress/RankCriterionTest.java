package org.cd4j.concept.compress;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The three rank rules on hand-made spectra. */
class RankCriterionTest {
    /** Shares of the sum: 0.5, 0.3, 0.1, 0.1. */
    private static final double[] S = {5, 3, 1, 1};

    @Test
    void ratioKeepsTheTripletsBeforeTheCrossingOne() {
        assertThat(new RankCriterion.Ratio(0.6).select(S, "w")).isEqualTo(1); // 0.5, then 0.8 > 0.6 at i = 1
        assertThat(new RankCriterion.Ratio(0.85).select(S, "w")).isEqualTo(2); // 0.9 > 0.85 at i = 2
        assertThat(new RankCriterion.Ratio(0.5).select(S, "w")).isEqualTo(1); // 0.5 is not > 0.5
    }

    @Test
    void firstValueAloneOverTheRatioKeepsOneUnlessReferenceRankZeroIsAsked() {
        assertThat(new RankCriterion.Ratio(0.4).select(S, "w")).isEqualTo(1);
        assertThat(new RankCriterion.Ratio(0.4, true).select(S, "w")).isZero(); // the reference drops the whole change
    }

    @Test
    void zeroChangeKeepsNothing() {
        double[] zero = {0, 0, 0};
        assertThat(new RankCriterion.Ratio(0.6).select(zero, "w")).isZero();
        assertThat(new RankCriterion.Energy(0.9).select(zero, "w")).isZero();
    }

    @Test
    void energyIsTheSmallestRankHoldingTheShareOfSquares() {
        double[] s = {4, 3}; // squares 16 + 9 = 25
        assertThat(new RankCriterion.Energy(0.64).select(s, "w")).isEqualTo(1);
        assertThat(new RankCriterion.Energy(0.65).select(s, "w")).isEqualTo(2);
        assertThat(new RankCriterion.Energy(1.0).select(s, "w")).isEqualTo(2);
    }

    @Test
    void fixedRankAboveTheMatrixIsAnError() {
        assertThat(new RankCriterion.FixedRank(4).select(S, "w")).isEqualTo(4);
        assertThatThrownBy(() -> new RankCriterion.FixedRank(5).select(S, "layer.to_k.weight"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--rank 5")
                .hasMessageContaining("layer.to_k.weight").hasMessageContaining("at most 4");
    }

    @Test
    void outOfRangeSettingsAreRefused() {
        assertThatThrownBy(() -> new RankCriterion.Ratio(1.0)).hasMessageContaining("--ratio must lie in (0, 1)");
        assertThatThrownBy(() -> new RankCriterion.Ratio(0)).hasMessageContaining("--ratio");
        assertThatThrownBy(() -> new RankCriterion.Energy(1.5)).hasMessageContaining("--energy must lie in (0, 1]");
        assertThatThrownBy(() -> new RankCriterion.FixedRank(0)).hasMessageContaining("--rank must be at least 1");
        assertThat(new RankCriterion.Ratio(0.6).describe()).startsWith("--ratio 0.6");
    }
}
