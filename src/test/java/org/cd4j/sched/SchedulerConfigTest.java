package org.cd4j.sched;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading scheduler_config.json, diffusers' default resolution, and the error messages. */
class SchedulerConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsTheModelsSchedulerConfig() {
        SchedulerConfig c = SchedFixtures.modelConfig();
        assertThat(c.className()).isEqualTo("PNDMScheduler");
        assertThat(c.numTrainTimesteps()).isEqualTo(1000);
        assertThat(c.betaStart()).isEqualTo(0.00085);
        assertThat(c.betaEnd()).isEqualTo(0.012);
        assertThat(c.betaSchedule()).isEqualTo("scaled_linear");
        assertThat(c.trainedBetas()).isNull();
        assertThat(c.setAlphaToOne()).isFalse();
        assertThat(c.skipPrkSteps()).isTrue();
        assertThat(c.stepsOffset()).isEqualTo(1);
        assertThat(c.clipSample()).isFalse();
        // Not in the file: each sampler falls back to its own class default.
        assertThat(c.timestepSpacing()).isNull();
        assertThat(c.predictionType()).isNull();
    }

    @Test
    void useDefaultValuesKeysCountAsAbsent() throws IOException {
        SchedulerConfig c = SchedulerConfig.parse("{\"timestep_spacing\": \"leading\", \"prediction_type\": \"epsilon\","
                + " \"_use_default_values\": [\"timestep_spacing\"], \"lambda_min_clipped\": -Infinity}");
        assertThat(c.timestepSpacing()).isNull();
        assertThat(c.predictionType()).isEqualTo("epsilon");
        assertThat(c.lambdaMinClipped()).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void eachSamplerResolvesItsOwnDefaults() {
        SchedulerConfig pndmConfig = SchedFixtures.modelConfig();
        Sampler ddim = Samplers.create("ddim", pndmConfig);
        Sampler euler = Samplers.create("euler", pndmConfig);
        ddim.setTimesteps(5);
        euler.setTimesteps(5);
        assertThat(ddim.timestep(0)).isEqualTo(801); // leading + steps_offset 1 (DDIMScheduler default spacing)
        assertThat(euler.timestep(1)).isEqualTo(749.25); // linspace (EulerDiscreteScheduler default spacing)
        // An empty config gives diffusers' class defaults: DDIM linear betas, set_alpha_to_one, offset 0.
        Sampler plain = Samplers.create("ddim", SchedulerConfig.empty());
        plain.setTimesteps(4);
        assertThat(plain.timestep(0)).isEqualTo(750);
        assertThat(plain.schedule().beta(0)).isEqualTo(0.0001f);
    }

    @Test
    void withOverridesOneField() {
        SchedulerConfig c = SchedFixtures.modelConfig().with("timestep_spacing", "trailing");
        assertThat(c.timestepSpacing()).isEqualTo("trailing");
        assertThat(c.betaSchedule()).isEqualTo("scaled_linear");
        assertThat(c.with("timestep_spacing", null).timestepSpacing()).isNull();
        assertThatThrownBy(() -> c.with("no_such_field", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no_such_field");
        assertThat(SchedulerConfig.fromMap(c.toMap())).isEqualTo(c);
    }

    @Test
    void unknownBetaScheduleNamesTheFileAndTheField() throws IOException {
        Path f = write("{\"beta_schedule\": \"cosine\", \"num_train_timesteps\": 1000}");
        assertThatThrownBy(() -> SchedulerConfig.load(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("'beta_schedule'")
                .hasMessageContaining("'cosine'")
                .hasMessageContaining("scaled_linear");
    }

    @Test
    void wrongTypesNameTheField() throws IOException {
        Path f = write("{\"beta_start\": \"small\"}");
        assertThatThrownBy(() -> SchedulerConfig.load(f)).hasMessageContaining(f.toString())
                .hasMessageContaining("'beta_start'").hasMessageContaining("expected a number");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("steps_offset", 1.5)))
                .hasMessageContaining("'steps_offset'").hasMessageContaining("integer");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("clip_sample", "no")))
                .hasMessageContaining("'clip_sample'").hasMessageContaining("true or false");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("trained_betas", List.of(0.1, "x"))))
                .hasMessageContaining("'trained_betas'");
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("prediction_type", "noise")))
                .hasMessageContaining("'prediction_type'").hasMessageContaining("v_prediction");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("timestep_spacing", "even")))
                .hasMessageContaining("'timestep_spacing'");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("num_train_timesteps", 0)))
                .hasMessageContaining("'num_train_timesteps'");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("solver_order", 4)))
                .hasMessageContaining("'solver_order'");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("beta_end", 1.5)))
                .hasMessageContaining("'beta_end'");
        assertThatThrownBy(() -> SchedulerConfig.fromMap(Map.of("num_train_timesteps", 3, "trained_betas", List.of(0.1))))
                .hasMessageContaining("'trained_betas'");
    }

    @Test
    void brokenJsonAndMissingFilesNameTheFile() throws IOException {
        Path f = write("{\"beta_start\": 0.1,");
        assertThatThrownBy(() -> SchedulerConfig.load(f)).isInstanceOf(IOException.class).hasMessageContaining(f.toString());
        Path missing = dir.resolve("nope.json");
        assertThatThrownBy(() -> SchedulerConfig.load(missing)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(missing.toString());
        Path array = write("[1, 2]");
        assertThatThrownBy(() -> SchedulerConfig.load(array)).isInstanceOf(IOException.class).hasMessageContaining(array.toString());
    }

    @Test
    void originalSampleIsReadAsSample() {
        assertThat(SchedulerConfig.fromMap(Map.of("prediction_type", "original_sample")).predictionType()).isEqualTo("sample");
    }

    private Path write(String json) throws IOException {
        Path f = Files.createTempFile(dir, "scheduler_config", ".json");
        Files.writeString(f, json);
        return f;
    }
}
