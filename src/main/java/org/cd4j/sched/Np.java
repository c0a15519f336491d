package org.cd4j.sched;

/**
 * The few NumPy routines diffusers builds its timestep and sigma grids with, reproduced to the
 * bit: {@code linspace}, {@code arange} with a float step, {@code round} (half to even),
 * {@code interp}, and the Karras et al. helpers. Timesteps must match exactly (they index tables
 * and are fed to the UNet), hence the care.
 */
final class Np {
    private Np() {}

    /** {@code np.linspace(start, stop, num)} in float64: {@code i*step + start}, last element = stop. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        int div = num - 1;
        double delta = stop - start;
        if (div > 0) {
            double step = delta / div;
            for (int i = 0; i < num; i++) {
                y[i] = (step == 0 ? (i / (double) div) * delta : i * step) + start;
            }
            y[num - 1] = stop;
        } else if (num == 1) {
            y[0] = start;
        }
        return y;
    }

    /**
     * {@code np.arange(start, stop, step)} for float64: length {@code ceil((stop-start)/step)},
     * values {@code start + i*delta} where numpy's delta is {@code (start+step) - start}.
     */
    static double[] arange(double start, double stop, double step) {
        int len = (int) Math.max(0, Math.ceil((stop - start) / step));
        double[] y = new double[len];
        double delta = (start + step) - start;
        for (int i = 0; i < len; i++) y[i] = i == 0 ? start : start + i * delta;
        return y;
    }

    /** {@code np.round}: round half to even. */
    static double round(double x) {
        return Math.rint(x);
    }

    /** Reverses in place and returns the array. */
    static double[] reverse(double[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /**
     * {@code np.interp(x, arange(len(fp)), fp)}: linear interpolation on the integer grid, exact
     * on grid points, clamped at the ends.
     */
    static double interp(double x, float[] fp) {
        int n = fp.length;
        if (x <= 0) return fp[0];
        if (x >= n - 1) return fp[n - 1];
        int j = (int) Math.floor(x);
        if (x == j) return fp[j];
        double slope = ((double) fp[j + 1] - fp[j]) / 1.0;
        return slope * (x - j) + fp[j];
    }

    /**
     * Karras et al. (2022) eq. 5 noise levels with rho = 7 over {@code n} steps, from
     * {@code first} to {@code last} (diffusers' {@code _convert_to_karras} takes them as
     * {@code in_sigmas[0]} and {@code in_sigmas[-1]}, which is why the callers pass them in that
     * order).
     */
    static double[] karras(double first, double last, int n) {
        double rho = 7.0;
        double[] ramp = linspace(0, 1, n);
        double maxInvRho = Math.pow(first, 1 / rho);
        double minInvRho = Math.pow(last, 1 / rho);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
        return out;
    }

    /**
     * diffusers' {@code _sigma_to_t}: the fractional training timestep whose sigma is
     * {@code sigma}, by linear interpolation in log-sigma. {@code logSigmas} are float32 (numpy
     * logs of the float32 sigma table); as in the reference's NumPy 1.x, the float64 scalar is
     * cast to float32 when it meets that array (value-based casting), so the distances and the
     * weight are float32 and only the final blend is float64.
     */
    static double sigmaToT(double sigma, float[] logSigmas) {
        float logSigma = (float) Math.log(sigma);
        int n = logSigmas.length;
        // low_idx = argmax(cumsum(dists >= 0)), i.e. the last index with log_sigma >= logSigmas[i]
        // (or 0 when there is none), clipped to n - 2.
        int count = 0, best = 0, bestIdx = 0;
        for (int i = 0; i < n; i++) {
            if (logSigma - logSigmas[i] >= 0) count++;
            if (count > best) {
                best = count;
                bestIdx = i;
            }
        }
        int low = Math.min(bestIdx, n - 2);
        int high = low + 1;
        float lo = logSigmas[low], hi = logSigmas[high];
        float w = (lo - logSigma) / (lo - hi);
        w = Math.max(0f, Math.min(1f, w));
        return (double) (1f - w) * low + (double) w * high;
    }

    /** float32 natural log of each element, as {@code np.log} on a float32 array. */
    static float[] logF(float[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (float) Math.log(a[i]);
        return out;
    }
}
