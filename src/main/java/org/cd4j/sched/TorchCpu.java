package org.cd4j.sched;

/**
 * Bit-exact Java versions of the two torch CPU kernels the beta schedules go through, as the
 * reference (PyTorch 1.13, x86-64 AVX2 kernels) computes them. libtorch 2.10's {@code linspace}
 * gives different last bits for about a quarter of SD's 1000 betas, so calling it would not
 * reproduce diffusers' {@code alphas_cumprod} exactly.
 */
final class TorchCpu {
    private TorchCpu() {}

    /** Lanes of an AVX2 float vector. */
    private static final int LANES = 8;

    /**
     * {@code torch.linspace(start, end, steps, dtype=float32)}: {@code step = (end - start) /
     * (steps - 1)} in float; the first half counts up from {@code start}, the second down from
     * {@code end} (for symmetry). The kernel is vectorised in pairs of 8-lane vectors whose lanes
     * are {@code base + k·step}, with the branch decided by the vector's first index, and the
     * tail done element by element; the AVX2 build fuses each multiply-add (FMA).
     */
    static float[] linspace(double startD, double endD, int steps) {
        float start = (float) startD, end = (float) endD;
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (float) (steps - 1);
        int half = steps / 2;
        int i = 0;
        for (; i <= steps - 2 * LANES; i += 2 * LANES) { // two vectors per iteration, as ATen's vectorized_loop
            for (int v = i; v < i + 2 * LANES; v += LANES) {
                float base = element(v, start, end, step, half, steps);
                out[v] = base;
                for (int k = 1; k < LANES; k++) out[v + k] = Math.fma((float) k, step, base);
            }
        }
        for (; i < steps; i++) out[i] = element(i, start, end, step, half, steps);
        return out;
    }

    private static float element(int idx, float start, float end, float step, int half, int steps) {
        return idx < half ? Math.fma(step, (float) idx, start) : Math.fma(-step, (float) (steps - idx - 1), end);
    }

    /** {@code torch.cumprod(x, 0)} for float32 on the CPU: the running product is kept in double. */
    static float[] cumprod(float[] x) {
        float[] out = new float[x.length];
        double acc = 1.0;
        for (int i = 0; i < x.length; i++) {
            acc *= x[i];
            out[i] = (float) acc;
        }
        return out;
    }
}
