package org.cd4j.sched;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.cd4j.sched.SchedFixtures.assertClose;
import static org.cd4j.sched.SchedFixtures.tensor;

/** The training-side schedule against DDPMScheduler: betas, alphas_cumprod, add_noise, get_velocity. */
class NoiseScheduleTest {
    final NoiseSchedule schedule = NoiseSchedule.fromConfig(SchedFixtures.modelConfig());

    @Test
    void betasAreBitIdentical() {
        assertThat(Tensors.toFloats(schedule.betas())).containsExactly(Tensors.toFloats(tensor("ddpm.betas")));
    }

    @Test
    void alphasCumprodAreBitIdentical() {
        assertThat(Tensors.toFloats(schedule.alphasCumprod())).containsExactly(Tensors.toFloats(tensor("ddpm.alphas_cumprod")));
    }

    @Test
    void addNoiseAndVelocityMatchDiffusers() {
        // The fixture's batch is 5 copies of x0 / noise, one timestep each.
        Tensor x0 = tensor("ddpm.x0").repeat(5, 1, 1, 1);
        Tensor noise = tensor("ddpm.noise").repeat(5, 1, 1, 1);
        Tensor ts = tensor("ddpm.timesteps");
        double d1 = assertClose("add_noise", schedule.addNoise(x0, noise, ts), tensor("ddpm.add_noise"), 1e-6);
        double d2 = assertClose("velocity", schedule.getVelocity(x0, noise, ts), tensor("ddpm.velocity"), 1e-6);
        Tensor target = schedule.trainingTarget(PredictionType.V_PREDICTION, x0, noise, ts);
        assertClose("v target", target, tensor("ddpm.velocity"), 1e-6);
        assertThat(schedule.trainingTarget(PredictionType.EPSILON, x0, noise, ts)).isSameAs(noise);
        assertThat(schedule.trainingTarget(PredictionType.SAMPLE, x0, noise, ts)).isSameAs(x0);
        System.out.printf("sched add_noise rel diff %.3g, velocity rel diff %.3g%n", d1, d2);
    }

    @Test
    void addNoiseBroadcastsOneTimestepPerBatchElement() {
        Tensor x0 = tensor("ddpm.x0");
        Tensor noise = tensor("ddpm.noise");
        Tensor noisy = schedule.addNoise(x0, noise, Tensors.fromLongs(new long[]{250}, 1));
        Tensor ref = tensor("ddpm.add_noise").select(0, 2).unsqueeze(0); // ddpm.timesteps[2] == 250
        assertThat(Tensors.toLongs(tensor("ddpm.timesteps"))[2]).isEqualTo(250);
        assertClose("add_noise t=250", noisy, ref, 1e-6);
    }

    @Test
    void linearScheduleDefaultsAndEnds() {
        NoiseSchedule s = NoiseSchedule.fromConfig(SchedulerConfig.empty());
        assertThat(s.numTrainTimesteps()).isEqualTo(1000);
        assertThat(s.beta(0)).isEqualTo(0.0001f);
        assertThat(s.beta(999)).isEqualTo(0.02f);
        assertThat(s.beta(500) - s.beta(499)).isCloseTo((0.02f - 0.0001f) / 999, within(1e-8f));
    }

    @Test
    void cosineScheduleIsCappedAndDecreasing() {
        NoiseSchedule s = NoiseSchedule.fromConfig(SchedulerConfig.fromMap(Map.of("beta_schedule", "squaredcos_cap_v2")));
        // Improved DDPM: alpha_bar(t) = cos²((t/T + s)/(1 + s) · π/2) with s = 0.008, so acp[0] = 1 − beta_0.
        double ab1 = Math.pow(Math.cos((1.0 / 1000 + 0.008) / 1.008 * Math.PI / 2), 2);
        double ab0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        assertThat((double) s.beta(0)).isCloseTo(1 - ab1 / ab0, within(1e-9));
        assertThat(s.beta(999)).isEqualTo(0.999f);
        for (int t = 1; t < 1000; t++) assertThat(s.alphaCumprod(t)).isLessThan(s.alphaCumprod(t - 1));
    }

    @Test
    void zeroTerminalSnrRescaleEndsAtPureNoise() {
        NoiseSchedule plain = NoiseSchedule.fromConfig(SchedFixtures.modelConfig());
        NoiseSchedule rescaled = NoiseSchedule.fromConfig(SchedFixtures.modelConfig(), true);
        assertThat(rescaled.alphaCumprod(999)).isEqualTo(0f);
        assertThat(rescaled.alphaCumprod(0)).isCloseTo(plain.alphaCumprod(0), within(1e-6f));
        SchedulerConfig zeroSnr = SchedFixtures.modelConfig().with("rescale_betas_zero_snr", true);
        // training (DDPMScheduler from diffusers 0.22 on), DDPM and DDIM read the flag from the config
        assertThat(NoiseSchedule.fromConfig(zeroSnr).alphasCumprodArray()).containsExactly(rescaled.alphasCumprodArray());
        assertThat(new DdimSampler(zeroSnr, 0).schedule().alphaCumprod(999)).isEqualTo(0f);
        assertThat(new DdpmSampler(zeroSnr).schedule().alphaCumprod(999)).isEqualTo(0f);
    }

    @Test
    void sigmaSamplersKeepTheFirstSigmaFinite() {
        SchedulerConfig zeroSnr = SchedFixtures.modelConfig().with("rescale_betas_zero_snr", true);
        float[] rescaled = NoiseSchedule.fromConfig(zeroSnr).alphasCumprodArray();
        float[] clamped = NoiseSchedule.forSigmaSampling(zeroSnr).alphasCumprodArray();
        assertThat(clamped[999]).isEqualTo(0x1p-24f);
        assertThat(java.util.Arrays.copyOf(clamped, 999)).containsExactly(java.util.Arrays.copyOf(rescaled, 999));
        // without the flag nothing changes
        assertThat(NoiseSchedule.forSigmaSampling(SchedFixtures.modelConfig()).alphasCumprodArray())
                .containsExactly(schedule.alphasCumprodArray());
        for (String name : new String[]{"euler", "euler-a", "dpm++2m"}) {
            assertThat(Samplers.create(name, zeroSnr).schedule().alphaCumprod(999)).as(name).isEqualTo(0x1p-24f);
        }
        assertThatThrownBy(() -> Samplers.create("pndm", zeroSnr)).hasMessageContaining("'rescale_betas_zero_snr'")
                .hasMessageContaining("dpm++2m");
    }

    @Test
    void trainedBetasAreUsedAsGiven() {
        java.util.List<Double> betas = java.util.List.of(0.1, 0.2, 0.3);
        NoiseSchedule s = NoiseSchedule.fromConfig(SchedulerConfig.fromMap(Map.of("num_train_timesteps", 3, "trained_betas", betas)));
        assertThat(Tensors.toFloats(s.betas())).containsExactly(0.1f, 0.2f, 0.3f);
        assertThat(s.alphaCumprod(2)).isCloseTo(0.9f * 0.8f * 0.7f, within(1e-7f));
    }
}
