package org.cd4j.judge;

import org.cd4j.world.World;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DegradationTest {
    private static float[] render() {
        return JudgeImages.pixels(new World(3).pretrainingSample(5).image());
    }

    @Test
    void aSeedFixesTheDegradation() {
        float[] a = render(), b = render(), c = render();
        Degradation.random(a, new SplittableRandom(9));
        Degradation.random(b, new SplittableRandom(9));
        Degradation.random(c, new SplittableRandom(10));
        assertThat(a).containsExactly(b);
        assertThat(Arrays.equals(a, c)).isFalse();
        assertThat(Arrays.equals(a, render())).isFalse();
    }

    @Test
    void staysInTheImageRange() {
        for (int seed = 0; seed < 20; seed++) {
            float[] px = render();
            Degradation.random(px, new SplittableRandom(seed));
            for (float v : px) assertThat(v).isBetween(-1f, 1f);
        }
    }

    @Test
    void blurAndResamplingKeepAFlatPictureFlat() {
        float[] px = new float[3 * 64 * 64];
        Arrays.fill(px, 0.25f);
        Degradation.blur(px, 1.3);
        Degradation.resample(px, 23);
        for (float v : px) assertThat(v).isCloseTo(0.25f, within(1e-5f));
    }

    @Test
    void blurSpreadsAnEdgeSymmetrically() {
        float[] px = new float[3 * 64 * 64];
        for (int y = 0; y < 64; y++) for (int x = 32; x < 64; x++) px[y * 64 + x] = 1f;
        Degradation.blur(px, 1.0);
        // the two pixels beside the edge move towards each other by the same amount
        assertThat(px[10 * 64 + 31]).isCloseTo(1f - px[10 * 64 + 32], within(1e-6f)).isBetween(0.05f, 0.5f);
        assertThat(px[10 * 64 + 20]).isCloseTo(0f, within(1e-6f));
    }

    @Test
    void mirroringTwiceIsTheIdentity() {
        float[] px = render(), copy = px.clone();
        Degradation.hflip(px);
        assertThat(px[5]).isEqualTo(copy[63 - 5]);
        Degradation.hflip(px);
        assertThat(px).containsExactly(copy);
    }

    @Test
    void saturationAndContrastKeepGreyAndHueOrder() {
        float[] px = new float[3 * 64 * 64];
        int plane = 64 * 64;
        Arrays.fill(px, 0, plane, 0.8f);           // an orange-ish pixel: R > G > B everywhere
        Arrays.fill(px, plane, 2 * plane, 0.1f);
        Arrays.fill(px, 2 * plane, 3 * plane, -0.6f);
        Degradation.saturation(px, 0.8);
        Degradation.contrast(px, 0.8, 0.05);
        assertThat(px[0]).isGreaterThan(px[plane]);
        assertThat(px[plane]).isGreaterThan(px[2 * plane]);
        // grey is the mean of the channels; saturation keeps it, contrast maps it about the picture mean
        assertThat((px[0] + px[plane] + px[2 * plane]) / 3).isCloseTo(0.1f + 0.05f, within(1e-5f));
    }
}
