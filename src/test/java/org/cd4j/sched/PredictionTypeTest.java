package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cd4j.sched.SchedFixtures.assertClose;
import static org.cd4j.sched.SchedFixtures.tensor;

/**
 * v-prediction (SD 2) and sample prediction in every sampler, checked by derivation rather than
 * against a trace: a model that knows the clean latents x0 gives the same x0 estimate whichever
 * quantity it outputs, so every prediction type must produce the same trajectory.
 */
class PredictionTypeTest {
    final SchedulerConfig sd = SchedFixtures.modelConfig();

    /**
     * DDIM, eta 0: with x_t = sqrt(a_t)·x0 + sqrt(1−a_t)·n and the exact output for x0 and n
     * (v = sqrt(a_t)·n − sqrt(1−a_t)·x0 for v-prediction), the step recovers x0 and n exactly
     * (sqrt(a)·x_t − sqrt(1−a)·v = x0, sqrt(a)·v + sqrt(1−a)·x_t = n), so it must land on
     * sqrt(a_prev)·x0 + sqrt(1−a_prev)·n = add_noise(x0, n, t_prev).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epsilon", "v_prediction", "sample"})
    void ddimStepWithExactPredictionLandsOnTheForwardProcess(String type) {
        NoiseSchedule q = NoiseSchedule.fromConfig(sd);
        Tensor x0 = tensor("ddpm.x0");
        Tensor n = tensor("ddpm.noise");
        Sampler ddim = Samplers.create("ddim", sd, SamplerOptions.none().withPredictionType(type));
        ddim.setTimesteps(5); // 801, 601, 401, 201, 1
        for (int i = 0; i < 5; i++) {
            long t = (long) ddim.timestep(i);
            Tensor ts = Tensors.fromLongs(new long[]{t}, 1);
            Tensor xt = q.addNoise(x0, n, ts);
            Tensor out = switch (type) {
                case "epsilon" -> n;
                case "v_prediction" -> q.getVelocity(x0, n, ts);
                default -> x0;
            };
            Tensor prev = ddim.step(out, i, xt, null);
            // The last step goes to alphas_cumprod[0] (set_alpha_to_one=false in SD's config).
            long tPrev = Math.max(t - 200, 0);
            Tensor expected = q.addNoise(x0, n, Tensors.fromLongs(new long[]{tPrev}, 1));
            assertClose(type + " step " + i, prev, expected, 2e-6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ddpm", "ddim", "euler", "euler-a", "dpm++2m"})
    void everySamplerFollowsTheSameTrajectoryForEveryPredictionType(String name) {
        Tensor ref = run(name, "epsilon", sd, 8);
        for (String type : new String[]{"v_prediction", "sample"}) {
            assertClose(name + " " + type, run(name, type, sd, 8), ref, 1e-4);
        }
    }

    @Test
    void variantsFollowTheSameTrajectoryToo() {
        SchedulerConfig[] variants = {
                sd.with("use_karras_sigmas", true),
                sd.with("solver_order", 3),
                sd.with("algorithm_type", "dpmsolver").with("solver_type", "heun"),
                sd.with("timestep_spacing", "trailing").with("rescale_betas_zero_snr", false),
        };
        String[] names = {"euler", "dpm++2m", "dpm++2m", "ddim"};
        for (int k = 0; k < variants.length; k++) {
            Tensor ref = run(names[k], "epsilon", variants[k], 8);
            assertClose(names[k] + " variant " + k + " v", run(names[k], "v_prediction", variants[k], 8), ref, 1e-4);
            assertClose(names[k] + " variant " + k + " sample", run(names[k], "sample", variants[k], 8), ref, 1e-4);
        }
    }

    /**
     * A zero-terminal-SNR schedule with trailing timesteps starts from pure noise (ᾱ = 0, or 2^-24
     * for the sigma samplers), where only a v or x0 prediction says anything about x0. Driven by
     * the oracle, every sampler must still land on x0, and v and sample prediction must agree.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"ddpm", "ddim", "euler", "euler-a", "dpm++2m"})
    void zeroTerminalSnrSamplingLandsOnTheCleanLatents(String name) {
        SchedulerConfig zeroSnr = sd.with("rescale_betas_zero_snr", true).with("timestep_spacing", "trailing")
                .with("set_alpha_to_one", true);
        Tensor v = run(name, "v_prediction", zeroSnr, 8);
        assertClose(name + " v vs sample", v, run(name, "sample", zeroSnr, 8), 1e-4);
        // DPM-Solver (diffusers 0.21.4) ends at timestep 0, not at sigma 0: with exact x0 and
        // data prediction it stays on sqrt(a)·x0 + sqrt(1−a)·(starting noise)
        Tensor expected = !name.equals("dpm++2m") ? tensor("ddpm.x0")
                : NoiseSchedule.fromConfig(zeroSnr).addNoise(tensor("ddpm.x0"), tensor("fake.init_noise"), Tensors.fromLongs(new long[]{0}, 1));
        assertClose(name + " lands on x0", v, expected, 1e-3);
    }

    /**
     * PNDM combines the raw v outputs of several steps (as diffusers does), which is not the same
     * as combining noise predictions, so only single-output steps can agree exactly: the first
     * step of PLMS and of the Runge–Kutta warm-up. (The full v trajectories were checked against a
     * step-by-step transcription of diffusers' PNDMScheduler during development.)
     */
    @Test
    void pndmConvertsVelocityLikeDiffusers() {
        for (SchedulerConfig c : new SchedulerConfig[]{sd, sd.with("skip_prk_steps", false)}) {
            assertClose("pndm first step v", run("pndm", "v_prediction", c, 1), run("pndm", "epsilon", c, 1), 1e-5);
        }
        assertThatThrownBy(() -> Samplers.create("pndm", sd, SamplerOptions.none().withPredictionType("sample")))
                .hasMessageContaining("'prediction_type'");
    }

    @Test
    void parsesConfigNames() {
        assertThat(PredictionType.parse("v_prediction")).isEqualTo(PredictionType.V_PREDICTION);
        assertThat(PredictionType.parse("original_sample")).isEqualTo(PredictionType.SAMPLE);
        assertThatThrownBy(() -> PredictionType.parse("x")).hasMessageContaining("epsilon");
    }

    /** All {@code steps} steps; {@code steps == 1} means only the first model call of a 4-step run. */
    private static Tensor run(String name, String type, SchedulerConfig cfg, int steps) {
        return runSteps(name, type, cfg, steps == 1 ? 4 : steps, steps == 1 ? 1 : Integer.MAX_VALUE);
    }

    /**
     * The first {@code calls} model calls of {@code name} with {@code steps} steps, driven by an
     * oracle model that knows x0: from its (DDPM-scale) input m at noise level a = alphas_cumprod
     * (1/(1+sigma²) for the Euler samplers) it returns eps = (m − sqrt(a)·x0)/sqrt(1−a),
     * v = sqrt(a)·eps − sqrt(1−a)·x0, or x0. Per-step noise is seeded identically in every run.
     */
    private static Tensor runSteps(String name, String type, SchedulerConfig cfg, int steps, int calls) {
        Sampler s = Samplers.create(name, cfg, SamplerOptions.none().withPredictionType(type)
                .withEta(name.equals("ddim") ? 0.5 : null));
        s.setTimesteps(steps);
        Tensor x0 = tensor("ddpm.x0");
        boolean sigmaSampler = s instanceof SigmaSampler;
        float[] sigmas = sigmaSampler ? Tensors.toFloats(s.sigmas()) : null;
        Denoiser oracle = (m, t, i) -> {
            double a = sigmaSampler ? 1.0 / (1.0 + (double) sigmas[i] * sigmas[i]) : s.schedule().alphaCumprod((int) t);
            Tensor eps = F.mul(F.addScaled(m, x0, -Math.sqrt(a)), 1 / Math.sqrt(1 - a));
            return switch (type) {
                case "epsilon" -> eps;
                case "v_prediction" -> F.addScaled(F.mul(eps, Math.sqrt(a)), x0, -Math.sqrt(1 - a));
                default -> x0;
            };
        };
        if (calls >= s.numSteps()) return s.sample(tensor("fake.init_noise"), oracle, NoiseSource.of(Rng.seeded(3)));
        Tensor x = F.mul(tensor("fake.init_noise"), s.initNoiseSigma());
        NoiseSource noise = NoiseSource.of(Rng.seeded(3));
        for (int i = 0; i < calls; i++) x = s.step(oracle.predict(s.scaleModelInput(x, i), s.timestep(i), i), i, x, noise);
        return x;
    }
}
