package org.cd4j.sched;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The tiny-sd1 scheduler fixtures (diffusers 0.21.4 reference traces) and comparison helpers. */
final class SchedFixtures {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final Path MODEL_SCHEDULER_CONFIG = FIXTURES.resolve("tiny-sd1/scheduler/scheduler_config.json");
    static final Path REFS = FIXTURES.resolve("refs/tiny-sd1");

    /** index.json holds Python's -Infinity (lambda_min_clipped). */
    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private SchedFixtures() {}

    /** An owned copy of a tensor from schedulers.safetensors. */
    static Tensor tensor(String name) {
        try (SafetensorsFile f = SafetensorsFile.open(REFS.resolve("schedulers.safetensors"))) {
            return f.tensor(name).clone();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** index.json's "schedulers" section. */
    static JsonNode schedulers() {
        try {
            return JSON.readTree(REFS.resolve("index.json").toFile()).get("schedulers");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The resolved config diffusers printed for one scheduler key, as a SchedulerConfig. */
    @SuppressWarnings("unchecked")
    static SchedulerConfig resolvedConfig(String key) {
        JsonNode cfg = schedulers().get(key).get("config");
        return SchedulerConfig.fromMap(JSON.convertValue(cfg, Map.class));
    }

    static SchedulerConfig modelConfig() {
        try {
            return SchedulerConfig.load(MODEL_SCHEDULER_CONFIG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Largest |a - b| relative to the reference's largest magnitude (absolute when that is below 1). */
    static double relDiff(Tensor got, Tensor ref) {
        double scale = Math.max(1.0, Tensors.maxAbs(ref));
        return Tensors.maxAbsDiff(got, ref) / scale;
    }

    /** Asserts closeness within {@code tol} relative to the reference's largest magnitude; returns the relative diff. */
    static double assertClose(String what, Tensor got, Tensor ref, double tol) {
        assertThat(Tensors.shape(got)).as(what + " shape").containsExactly(Tensors.shape(ref));
        double d = relDiff(got, ref);
        assertThat(d).as(what + " max |diff| / max(1, max|ref|)").isLessThanOrEqualTo(tol);
        return d;
    }
}
