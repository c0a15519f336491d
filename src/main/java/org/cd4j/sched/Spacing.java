package org.cd4j.sched;

/**
 * The three ways diffusers spreads {@code n} inference timesteps over the {@code N} training
 * timesteps ("Common Diffusion Noise Schedules and Sample Steps are Flawed", Table 2), in the
 * integer form DDPM, DDIM and DPM-Solver share (descending).
 */
final class Spacing {
    private Spacing() {}

    /**
     * Descending integer timesteps:
     * <ul>
     * <li>{@code leading}: {@code k * (N // n) + steps_offset} for k = n-1 … 0 (SD's default via PNDM/DDIM);
     * <li>{@code trailing}: {@code round(N - k * N/n) - 1} for k = 0 … n-1 (always includes N-1);
     * <li>{@code linspace}: {@code round(linspace(0, N-1, n))} reversed.
     * </ul>
     */
    static double[] integerTimesteps(String spacing, int numTrain, int n, int stepsOffset) {
        double[] t;
        switch (spacing) {
            case "linspace": {
                t = Np.linspace(0, numTrain - 1, n);
                for (int i = 0; i < n; i++) t[i] = Np.round(t[i]);
                return Np.reverse(t);
            }
            case "leading": {
                int ratio = numTrain / n;
                t = new double[n];
                for (int k = 0; k < n; k++) t[n - 1 - k] = (double) k * ratio + stepsOffset;
                return t;
            }
            case "trailing": {
                double ratio = (double) numTrain / n;
                t = Np.arange(numTrain, 0, -ratio);
                for (int i = 0; i < t.length; i++) t[i] = Np.round(t[i]) - 1;
                return t;
            }
            default:
                throw SchedulerConfig.bad("timestep_spacing", "has unsupported value '" + spacing + "'");
        }
    }
}
