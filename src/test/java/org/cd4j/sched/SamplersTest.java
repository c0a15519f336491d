package org.cd4j.sched;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.cd4j.sched.SchedFixtures.tensor;

/** The factory, command-line overrides, timestep grids without a trace fixture, and misuse errors. */
class SamplersTest {
    final SchedulerConfig sd = SchedFixtures.modelConfig();

    @Test
    void namesAreTheCommandLineOnes() {
        assertThat(Samplers.names()).containsExactly("ddpm", "ddim", "pndm", "euler", "euler-a", "dpm++2m");
        for (String n : Samplers.names()) assertThat(Samplers.create(n, sd).name()).isEqualTo(n);
        assertThat(Samplers.nameForConfig(sd)).contains("pndm");
    }

    @Test
    void unknownNameListsTheValidOnes() {
        assertThatThrownBy(() -> Samplers.create("lms", sd))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'lms'")
                .hasMessageContaining("ddpm, ddim, pndm, euler, euler-a, dpm++2m");
    }

    @Test
    void overridesOnlyWhereTheyApply() {
        assertThatThrownBy(() -> Samplers.create("euler", sd, SamplerOptions.none().withEta(0.5)))
                .hasMessageContaining("--eta").hasMessageContaining("ddim");
        assertThatThrownBy(() -> Samplers.create("ddim", sd, SamplerOptions.none().withKarrasSigmas(true)))
                .hasMessageContaining("Karras").hasMessageContaining("euler, dpm++2m");
        assertThatThrownBy(() -> SamplerOptions.none().withEta(1.5)).hasMessageContaining("--eta");
        assertThatThrownBy(() -> SamplerOptions.none().withTimestepSpacing("even")).hasMessageContaining("--timestep-spacing");
        // eta 0 is the CLI default and fine everywhere.
        assertThat(Samplers.create("euler-a", sd, SamplerOptions.none().withEta(0.0)).name()).isEqualTo("euler-a");

        Sampler ddim = Samplers.create("ddim", sd, SamplerOptions.none().withEta(0.25).withTimestepSpacing("trailing")
                .withPredictionType("v_prediction"));
        ddim.setTimesteps(5);
        assertThat(((DdimSampler) ddim).eta()).isEqualTo(0.25);
        assertThat(Tensors.toLongs(ddim.timesteps())).containsExactly(999, 799, 599, 399, 199);
        assertThat(ddim.predictionType()).isEqualTo(PredictionType.V_PREDICTION);
    }

    @Test
    void thresholdingAndLearnedVariancesAreRefusedClearly() {
        SchedulerConfig t = sd.with("thresholding", true);
        for (String n : List.of("ddpm", "ddim", "dpm++2m")) {
            assertThatThrownBy(() -> Samplers.create(n, t)).hasMessageContaining("'thresholding'");
        }
        assertThat(Samplers.create("euler", t).name()).isEqualTo("euler"); // Euler never reads it, as in diffusers
        assertThatThrownBy(() -> Samplers.create("ddpm", sd.with("variance_type", "learned_range")))
                .hasMessageContaining("'variance_type'");
        assertThatThrownBy(() -> Samplers.create("dpm++2m", sd.with("algorithm_type", "sde-dpmsolver++")))
                .hasMessageContaining("'algorithm_type'");
    }

    @Test
    void pndmRungeKuttaWarmUpTimesteps() {
        Sampler s = Samplers.create("pndm", sd.with("skip_prk_steps", false));
        s.setTimesteps(10);
        // 12 Runge–Kutta evaluations over the last 4 leading timesteps and their midpoints, then PLMS.
        assertThat(Tensors.toLongs(s.timesteps())).containsExactly(
                901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1);
        assertThatThrownBy(() -> s.setTimesteps(3)).hasMessageContaining("at least 4");
    }

    @Test
    void karrasSigmasTimesteps() {
        // Expected values follow diffusers 0.21.4's _convert_to_karras / _sigma_to_t on this schedule.
        Sampler dpm = Samplers.create("dpm++2m", sd, SamplerOptions.none().withKarrasSigmas(true));
        dpm.setTimesteps(10);
        assertThat(Tensors.toLongs(dpm.timesteps())).containsExactly(999, 916, 815, 687, 523, 327, 146, 41, 7, 0);
        dpm.setTimesteps(5);
        assertThat(Tensors.toLongs(dpm.timesteps())).containsExactly(999, 786, 427, 59, 0);

        Sampler euler = Samplers.create("euler", sd, SamplerOptions.none().withKarrasSigmas(true));
        euler.setTimesteps(5);
        assertThat(euler.timesteps().scalar_type().value).isEqualTo(DType.F64.scalarType.value);
        double[] expectT = {999.0, 785.9539641737938, 427.48980140686035, 58.89149272441864, 0.0};
        float[] expectSigma = {14.614645f, 4.796543f, 1.2741052f, 0.24795169f, 0.029167533f, 0f};
        for (int i = 0; i < 5; i++) assertThat(euler.timestep(i)).isCloseTo(expectT[i], within(1e-4));
        float[] sig = Tensors.toFloats(euler.sigmas());
        for (int i = 0; i < 6; i++) assertThat(sig[i]).isCloseTo(expectSigma[i], within(1e-6f));
        assertThat((float) euler.initNoiseSigma()).isEqualTo(14.614645f);
    }

    @Test
    void spacingsOfTheSigmaSamplers() {
        Sampler leading = Samplers.create("euler", sd.with("timestep_spacing", "leading"));
        leading.setTimesteps(5);
        assertThat(Tensors.toFloats(leading.timesteps())).containsExactly(801f, 601f, 401f, 201f, 1f);
        float s0 = Tensors.toFloats(leading.sigmas())[0];
        assertThat(leading.initNoiseSigma()).isCloseTo(Math.sqrt(s0 * s0 + 1), within(1e-5)); // "leading" adds 1 in quadrature
        Sampler trailing = Samplers.create("euler-a", sd.with("timestep_spacing", "trailing"));
        trailing.setTimesteps(4);
        assertThat(Tensors.toFloats(trailing.timesteps())).containsExactly(999f, 749f, 499f, 249f);
        Sampler dpm = Samplers.create("dpm++2m", sd.with("timestep_spacing", "leading"));
        dpm.setTimesteps(4);
        assertThat(Tensors.toLongs(dpm.timesteps())).containsExactly(801, 601, 401, 201);
        // log_linear: steps + 1 log-spaced sigmas from sigma_max down to sigma_min, then the (unreached) 0.
        Sampler logLinear = Samplers.create("euler", sd.with("interpolation_type", "log_linear"));
        logLinear.setTimesteps(4);
        float[] sig = Tensors.toFloats(logLinear.sigmas());
        assertThat(sig).hasSize(6);
        assertThat(sig[0]).isCloseTo(14.614645f, within(2e-5f));
        assertThat(sig[4]).isCloseTo(0.029167533f, within(1e-7f));
        assertThat(sig[5]).isZero();
        assertThat(Math.log(sig[1] / sig[2])).isCloseTo(Math.log(sig[2] / sig[3]), within(1e-5));
    }

    @Test
    void dpmSolverClipsTimestepsBelowLambdaMin() {
        // Cosine schedule: lambda = log(alpha/sigma) falls under -5.1 for the last 4 training steps,
        // so the grid runs over 0 … 995 only (diffusers' searchsorted on the flipped lambdas).
        SchedulerConfig cos = SchedulerConfig.empty().with("beta_schedule", "squaredcos_cap_v2").with("lambda_min_clipped", -5.1);
        Sampler s = Samplers.create("dpm++2m", cos);
        s.setTimesteps(5);
        assertThat(Tensors.toLongs(s.timesteps())).containsExactly(995, 796, 597, 398, 199);
    }

    @Test
    void ddpmDrawsNoiseOnlyWhileTIsPositive() {
        Tensor x = tensor("fake.init_noise");
        for (String spacing : List.of("leading", "linspace")) {
            Sampler s = Samplers.create("ddpm", sd.with("timestep_spacing", spacing));
            s.setTimesteps(5);
            List<long[]> shapes = new ArrayList<>();
            NoiseSource counting = shape -> {
                shapes.add(shape);
                return torch.zeros(shape, Tensors.options(DType.F32));
            };
            s.sample(x, (in, t, i) -> F.mul(in, 0.1), counting);
            // leading + offset 1 ends at t = 1 (noise at every step); linspace ends at t = 0 (no noise there).
            assertThat(shapes).hasSize(spacing.equals("leading") ? 5 : 4);
            for (long[] sh : shapes) assertThat(sh).containsExactly(1, 4, 16, 16);
        }
    }

    @Test
    void seededRunsRepeatAndNoiseChangesTheResult() {
        Tensor x = tensor("fake.init_noise");
        Tensor fixed = tensor("fake.fixed");
        Denoiser fake = (in, t, i) -> F.mul(in, 0.1).add(fixed);
        for (String name : List.of("ddpm", "euler-a")) {
            Sampler s = Samplers.create(name, sd);
            s.setTimesteps(4);
            Tensor a = s.sample(x, fake, NoiseSource.of(Rng.seeded(7)));
            Tensor b = s.sample(x, fake, NoiseSource.of(Rng.seeded(7)));
            Tensor c = s.sample(x, fake, NoiseSource.of(Rng.seeded(8)));
            assertThat(Tensors.maxAbsDiff(a, b)).isZero();
            assertThat(Tensors.maxAbsDiff(a, c)).isGreaterThan(1e-3);
        }
    }

    @Test
    void stochasticSamplersNeedANoiseSource() {
        Tensor x = tensor("fake.init_noise");
        for (String name : List.of("ddpm", "euler-a")) {
            Sampler s = Samplers.create(name, sd);
            s.setTimesteps(3);
            assertThatThrownBy(() -> s.step(x, 0, x, null)).hasMessageContaining("NoiseSource");
        }
        Sampler ddim = Samplers.create("ddim", sd, SamplerOptions.none().withEta(0.5));
        ddim.setTimesteps(3);
        assertThatThrownBy(() -> ddim.step(x, 0, x, null)).hasMessageContaining("NoiseSource");
        // Deterministic settings take null.
        for (String name : List.of("ddim", "pndm", "euler", "dpm++2m")) {
            Sampler s = Samplers.create(name, sd);
            s.setTimesteps(3);
            assertThat(Tensors.shape(s.step(x, 0, x, null))).containsExactly(1, 4, 16, 16);
        }
    }

    @Test
    void misuseIsReported() {
        Sampler s = Samplers.create("dpm++2m", sd);
        assertThatThrownBy(s::timesteps).hasMessageContaining("setTimesteps");
        assertThatThrownBy(() -> s.setTimesteps(0)).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> s.setTimesteps(1001)).hasMessageContaining("1000");
        s.setTimesteps(5);
        Tensor x = tensor("fake.init_noise");
        assertThatThrownBy(() -> s.step(x, 1, x, null)).hasMessageContaining("expected step 0");
        assertThatThrownBy(() -> s.scaleModelInput(x, 5)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void sampleLoopEqualsTheManualLoopAndSurvivesScopes() {
        Tensor x = tensor("fake.init_noise");
        Tensor fixed = tensor("fake.fixed");
        Tensor ref = tensor("pndm.latents_out").select(0, 5).unsqueeze(0).clone();
        Sampler s = Samplers.create("pndm", sd);
        s.setTimesteps(5);
        AtomicInteger calls = new AtomicInteger();
        Tensor out;
        try (PointerScope outer = new PointerScope()) {
            out = s.sample(x, (in, t, i) -> {
                calls.incrementAndGet();
                assertThat(t).isEqualTo(s.timestep(i));
                return F.mul(in, 0.1).add(fixed);
            }, null);
            assertThat(Tensors.maxAbsDiff(out, ref)).isLessThanOrEqualTo(1e-4 * Tensors.maxAbs(ref));
        }
        assertThat(calls.get()).isEqualTo(6);
        // Reusable after another setTimesteps (history reset).
        s.setTimesteps(5);
        Tensor again = s.sample(x, (in, t, i) -> F.mul(in, 0.1).add(fixed), null);
        assertThat(Tensors.maxAbsDiff(again, ref)).isLessThanOrEqualTo(1e-4 * Tensors.maxAbs(ref));
    }
}
