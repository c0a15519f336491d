package org.cd4j.concept;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StageTimesTest {
    static void busy(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }

    @Test
    void lapsChargeTheTimeSinceThePreviousLapAndAddUpToTheWhole() {
        StageTimes t = new StageTimes();
        long t0 = System.nanoTime();
        t.start();
        busy(30);
        t.lap(StageTimes.Stage.DATA);
        busy(10);
        t.lap(StageTimes.Stage.BACKWARD);
        busy(20);
        t.lap(StageTimes.Stage.DATA);
        double whole = (System.nanoTime() - t0) / 1e9;
        assertThat(t.seconds(StageTimes.Stage.DATA)).isBetween(0.050, whole);
        assertThat(t.seconds(StageTimes.Stage.BACKWARD)).isBetween(0.010, whole - 0.050);
        assertThat(t.seconds(StageTimes.Stage.TEXT)).isZero();
        assertThat(t.totalSeconds()).isBetween(0.060, whole);

        ObjectNode n = new ObjectMapper().createObjectNode();
        t.putSeconds(n);
        assertThat(n.size()).isEqualTo(StageTimes.Stage.values().length);
        assertThat(n.get("data").asDouble()).isEqualTo(Math.round(t.seconds(StageTimes.Stage.DATA) * 1e4) / 1e4);
        assertThat(n.has("unet_forward")).isTrue();
        assertThat(t.summary()).matches("data \\d+\\.\\d\\d s \\(\\d+ %\\), text 0\\.00 s \\(0 %\\), vae .*, backward .*, other .*");
    }
}
