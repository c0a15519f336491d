package org.cd4j.sched;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's {@code scheduler/scheduler_config.json}, field for field (diffusers 0.21.4 names).
 *
 * <p>Every component is nullable: {@code null} means "not given", and each sampler then uses
 * <em>its own</em> default, exactly as diffusers' {@code from_config} does when it builds a
 * scheduler class from another class's config (a PNDM config gives DDIM {@code
 * timestep_spacing="leading"} but Euler {@code "linspace"}). Keys listed in the file's {@code
 * _use_default_values} are treated as absent for the same reason: diffusers drops them so that the
 * target class's defaults apply. Keys no supported sampler reads are ignored, as diffusers does.
 *
 * <p>Values are validated in the compact constructor; messages name the field. {@link #load}
 * adds the file name.
 */
public record SchedulerConfig(
        String className,
        Integer numTrainTimesteps,
        Double betaStart,
        Double betaEnd,
        String betaSchedule,
        List<Double> trainedBetas,
        String predictionType,
        String timestepSpacing,
        Integer stepsOffset,
        Boolean setAlphaToOne,
        Boolean skipPrkSteps,
        Boolean clipSample,
        Double clipSampleRange,
        Boolean thresholding,
        Double dynamicThresholdingRatio,
        Double sampleMaxValue,
        Boolean rescaleBetasZeroSnr,
        String varianceType,
        Boolean useKarrasSigmas,
        String interpolationType,
        Integer solverOrder,
        String algorithmType,
        String solverType,
        Boolean lowerOrderFinal,
        Double lambdaMinClipped) {

    static final List<String> BETA_SCHEDULES = List.of("linear", "scaled_linear", "squaredcos_cap_v2");
    static final List<String> PREDICTION_TYPES = List.of("epsilon", "v_prediction", "sample");
    static final List<String> SPACINGS = List.of("leading", "trailing", "linspace");
    static final List<String> VARIANCE_TYPES = List.of("fixed_small", "fixed_small_log", "fixed_large",
            "fixed_large_log", "learned", "learned_range");
    static final List<String> INTERPOLATIONS = List.of("linear", "log_linear");
    // deis / logrho / bh1 / bh2 come from DEIS and UniPC configs; DPM-Solver remaps them as diffusers does.
    static final List<String> ALGORITHMS = List.of("dpmsolver++", "dpmsolver", "sde-dpmsolver++", "sde-dpmsolver", "deis");
    static final List<String> SOLVER_TYPES = List.of("midpoint", "heun", "logrho", "bh1", "bh2");

    /** The JSON keys this record reads, in component order. */
    public static final List<String> KEYS = List.of("_class_name", "num_train_timesteps", "beta_start",
            "beta_end", "beta_schedule", "trained_betas", "prediction_type", "timestep_spacing", "steps_offset",
            "set_alpha_to_one", "skip_prk_steps", "clip_sample", "clip_sample_range", "thresholding",
            "dynamic_thresholding_ratio", "sample_max_value", "rescale_betas_zero_snr", "variance_type",
            "use_karras_sigmas", "interpolation_type", "solver_order", "algorithm_type", "solver_type",
            "lower_order_final", "lambda_min_clipped");

    public SchedulerConfig {
        if (numTrainTimesteps != null && numTrainTimesteps < 1) {
            throw bad("num_train_timesteps", "must be at least 1, got " + numTrainTimesteps);
        }
        checkBeta("beta_start", betaStart);
        checkBeta("beta_end", betaEnd);
        checkChoice("beta_schedule", betaSchedule, BETA_SCHEDULES);
        if (trainedBetas != null) {
            for (Double b : trainedBetas) {
                if (b == null || !(b > 0 && b < 1)) throw bad("trained_betas", "every beta must lie in (0, 1), got " + b);
            }
            trainedBetas = List.copyOf(trainedBetas);
            if (numTrainTimesteps != null && trainedBetas.size() != numTrainTimesteps) {
                throw bad("trained_betas", "has " + trainedBetas.size() + " values but num_train_timesteps is " + numTrainTimesteps);
            }
        }
        if ("original_sample".equals(predictionType)) predictionType = "sample"; // diffusers' Euler alias
        checkChoice("prediction_type", predictionType, PREDICTION_TYPES);
        checkChoice("timestep_spacing", timestepSpacing, SPACINGS);
        if (stepsOffset != null && stepsOffset < 0) throw bad("steps_offset", "must be >= 0, got " + stepsOffset);
        if (clipSampleRange != null && !(clipSampleRange > 0)) throw bad("clip_sample_range", "must be > 0, got " + clipSampleRange);
        if (dynamicThresholdingRatio != null && !(dynamicThresholdingRatio > 0 && dynamicThresholdingRatio <= 1)) {
            throw bad("dynamic_thresholding_ratio", "must lie in (0, 1], got " + dynamicThresholdingRatio);
        }
        if (sampleMaxValue != null && !(sampleMaxValue > 0)) throw bad("sample_max_value", "must be > 0, got " + sampleMaxValue);
        checkChoice("variance_type", varianceType, VARIANCE_TYPES);
        checkChoice("interpolation_type", interpolationType, INTERPOLATIONS);
        if (solverOrder != null && (solverOrder < 1 || solverOrder > 3)) throw bad("solver_order", "must be 1, 2 or 3, got " + solverOrder);
        checkChoice("algorithm_type", algorithmType, ALGORITHMS);
        checkChoice("solver_type", solverType, SOLVER_TYPES);
        if (lambdaMinClipped != null && Double.isNaN(lambdaMinClipped)) throw bad("lambda_min_clipped", "must be a number, got NaN");
    }

    /** A config with every field absent: each sampler uses its diffusers class defaults. */
    public static SchedulerConfig empty() {
        return fromMap(Map.of());
    }

    /**
     * Reads a {@code scheduler_config.json}. Errors name the file and the field.
     *
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException when a field has a wrong type or an unsupported value
     */
    public static SchedulerConfig load(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "scheduler config not found");
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Parses the JSON text of a scheduler config. */
    public static SchedulerConfig parse(String json) throws IOException {
        Object root = MAPPER.readValue(json, Object.class);
        if (!(root instanceof Map<?, ?> m)) throw new IOException("expected a JSON object at the top level");
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
        return fromMap(map);
    }

    /**
     * Builds a config from decoded JSON values (Number, String, Boolean, List, null). A key present
     * with value {@code null} counts as absent, as does every key named in {@code _use_default_values}.
     */
    public static SchedulerConfig fromMap(Map<String, ?> raw) {
        Map<String, Object> m = new LinkedHashMap<>(raw);
        Object defaults = m.remove("_use_default_values");
        if (defaults instanceof List<?> l) {
            for (Object k : l) m.remove(String.valueOf(k));
        } else if (defaults != null) {
            throw bad("_use_default_values", "expected a list of field names, got " + describe(defaults));
        }
        return new SchedulerConfig(
                str(m, "_class_name"), integer(m, "num_train_timesteps"), number(m, "beta_start"),
                number(m, "beta_end"), str(m, "beta_schedule"), numbers(m, "trained_betas"),
                str(m, "prediction_type"), str(m, "timestep_spacing"), integer(m, "steps_offset"),
                bool(m, "set_alpha_to_one"), bool(m, "skip_prk_steps"), bool(m, "clip_sample"),
                number(m, "clip_sample_range"), bool(m, "thresholding"), number(m, "dynamic_thresholding_ratio"),
                number(m, "sample_max_value"), bool(m, "rescale_betas_zero_snr"), str(m, "variance_type"),
                bool(m, "use_karras_sigmas"), str(m, "interpolation_type"), integer(m, "solver_order"),
                str(m, "algorithm_type"), str(m, "solver_type"), bool(m, "lower_order_final"),
                number(m, "lambda_min_clipped"));
    }

    /** The fields that are present, by JSON key (absent fields are left out). */
    public Map<String, Object> toMap() {
        Object[] v = {className, numTrainTimesteps, betaStart, betaEnd, betaSchedule, trainedBetas, predictionType,
                timestepSpacing, stepsOffset, setAlphaToOne, skipPrkSteps, clipSample, clipSampleRange, thresholding,
                dynamicThresholdingRatio, sampleMaxValue, rescaleBetasZeroSnr, varianceType, useKarrasSigmas,
                interpolationType, solverOrder, algorithmType, solverType, lowerOrderFinal, lambdaMinClipped};
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) if (v[i] != null) out.put(KEYS.get(i), v[i]);
        return Collections.unmodifiableMap(out);
    }

    /**
     * A copy with one field set (by its JSON key), like a keyword argument to diffusers'
     * {@code from_config}: the value wins over the file and over {@code _use_default_values}.
     * {@code null} makes the field absent again.
     */
    public SchedulerConfig with(String key, Object value) {
        if (!KEYS.contains(key)) throw new IllegalArgumentException("unknown scheduler config field '" + key + "' (known: " + String.join(", ", KEYS) + ")");
        Map<String, Object> m = new LinkedHashMap<>(toMap());
        m.put(key, value);
        return fromMap(m);
    }

    static <T> T or(T value, T dflt) {
        return value != null ? value : dflt;
    }

    // ---- parsing helpers: each names its field in the error ----

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // Python's json writes -Infinity (lambda_min_clipped)
            .build();

    static FieldException bad(String field, String what) {
        return new FieldException("scheduler config field '" + field + "' " + what);
    }

    /**
     * A config value that is malformed, or that the chosen sampler cannot follow. Its own type so
     * that a caller who knows which file the config came from can say so (a sampler is built long
     * after the file was read).
     */
    public static final class FieldException extends IllegalArgumentException {
        FieldException(String message) {
            super(message);
        }
    }

    private static void checkBeta(String field, Double v) {
        if (v != null && !(v >= 0 && v < 1)) throw bad(field, "must lie in [0, 1), got " + v);
    }

    private static void checkChoice(String field, String v, List<String> allowed) {
        if (v != null && !allowed.contains(v)) {
            throw bad(field, "has unsupported value '" + v + "' (expected one of " + String.join(", ", allowed) + ")");
        }
    }

    private static String describe(Object v) {
        return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
    }

    private static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null || v instanceof String) return (String) v;
        throw bad(key, "expected a string, got " + describe(v));
    }

    private static Boolean bool(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null || v instanceof Boolean) return (Boolean) v;
        throw bad(key, "expected true or false, got " + describe(v));
    }

    private static Double number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof Number n) return n.doubleValue();
        throw bad(key, "expected a number, got " + describe(v));
    }

    private static Integer integer(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) return (int) d;
        }
        throw bad(key, "expected an integer, got " + describe(v));
    }

    private static List<Double> numbers(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof List<?> l) {
            List<Double> out = new ArrayList<>(l.size());
            for (Object o : l) {
                if (!(o instanceof Number n)) throw bad(key, "expected a list of numbers, found " + describe(o));
                out.add(n.doubleValue());
            }
            return out;
        }
        throw bad(key, "expected a list of numbers, got " + describe(v));
    }
}
