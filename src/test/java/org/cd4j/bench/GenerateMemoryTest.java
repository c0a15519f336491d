package org.cd4j.bench;

import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Twenty generations in one process must not grow the resident memory after the first few
 * (JIT and allocator warm-up). Takes a few seconds: 20 tiny-model generations at 64 px.
 */
class GenerateMemoryTest {
    @Test
    void residentMemoryStaysFlatOverTwentyGenerations() throws Exception {
        long[] rss = GenerateMemoryBench.run(Fixtures.tinySd1(), 20, 64, 3);
        long growth = rss[19] - rss[4];
        System.out.printf("RSS after image 5: %.1f MiB, after image 20: %.1f MiB%n", rss[4] / 1048576.0, rss[19] / 1048576.0);
        // a leak of one step's UNet activations would add several MiB per image
        assertThat(growth).as("resident growth from image 5 to image 20 (bytes)").isLessThan(24L << 20);
    }
}
