package org.cd4j.judge;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class EstimateTest {
    @Test
    void meanAndStandardErrorOfTheMean() {
        // scores 1, 0, 1, 1: mean 3/4, sample variance (3·(1/4)² + (3/4)²)/3 = 1/4, se = √(1/4 / 4) = 1/4
        Estimate e = Estimate.of(List.of(1.0, 0.0, 1.0, 1.0));
        assertThat(e.mean()).isEqualTo(0.75);
        assertThat(e.standardError()).isCloseTo(0.25, within(1e-12));
        assertThat(e.n()).isEqualTo(4);
        assertThat(e).hasToString("0.750 ± 0.250 (n=4)");
    }

    @Test
    void equalScoresHaveNoError() {
        assertThat(Estimate.of(List.of(0.5, 0.5, 0.5)).standardError()).isZero();
    }

    @Test
    void onePictureHasNoStandardError() {
        Estimate e = Estimate.of(List.of(0.3));
        assertThat(e.mean()).isEqualTo(0.3);
        assertThat(e.standardError()).isNaN();
    }

    @Test
    void noPicturesIsAnError() {
        assertThatThrownBy(() -> Estimate.of(List.of())).hasMessageContaining("no pictures");
    }
}
