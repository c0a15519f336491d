package org.cd4j.concept.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.concept.TrainMode;

import java.util.List;

/**
 * What a {@link ConceptDelta} says about itself besides its tensors (the cd4j file's
 * {@code __metadata__}, DESIGN §5). Reference formats carry none of it except what can be
 * inferred, so a delta imported from them has no initializer tokens, no base-model identity and
 * empty training settings.
 *
 * @param formatVersion     the cd4j delta format version it was read from (or will be written as)
 * @param initializerTokens the tokens the modifier tokens' embeddings started from, in order (may be empty)
 * @param trainMode         which UNet weights were trained ({@code --freeze-model}); null = infer from the weights
 * @param baseModelSha256   {@link BaseModel#identity} of the model it was trained on, lower-case hex, or null
 * @param baseModelName     a human-readable name of that model (its folder name), or null
 * @param training          the training settings as a JSON object string ({@code "{}"} when unknown)
 * @param notes             free-form notes, e.g. token renames made by a merge ({@code ""} when none)
 */
public record DeltaInfo(int formatVersion, List<String> initializerTokens, TrainMode trainMode,
                        String baseModelSha256, String baseModelName, String training, String notes) {
    /** The version of the cd4j delta format this code writes (and the newest it reads). */
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    public DeltaInfo {
        if (formatVersion < 1) throw new IllegalArgumentException("format version must be at least 1, got " + formatVersion);
        initializerTokens = initializerTokens == null ? List.of() : List.copyOf(initializerTokens);
        if (baseModelSha256 != null && !baseModelSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("base model sha256 must be 64 lower-case hex digits, got '" + baseModelSha256 + "'");
        }
        training = training == null || training.isBlank() ? "{}" : training;
        JsonNode node;
        try {
            node = JSON.readTree(training);
        } catch (Exception e) {
            throw new IllegalArgumentException("training settings are not valid JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("training settings must be a JSON object, got: " + abbreviate(training));
        }
        notes = notes == null ? "" : notes;
    }

    /** Nothing known: current format version, mode inferred from the weights. */
    public static DeltaInfo empty() {
        return new DeltaInfo(FORMAT_VERSION, List.of(), null, null, null, "{}", "");
    }

    /** The same with {@code mode}. */
    public DeltaInfo withTrainMode(TrainMode mode) {
        return new DeltaInfo(formatVersion, initializerTokens, mode, baseModelSha256, baseModelName, training, notes);
    }

    /** The same with a base-model identity and name. */
    public DeltaInfo withBaseModel(String sha256, String name) {
        return new DeltaInfo(formatVersion, initializerTokens, trainMode, sha256, name, training, notes);
    }

    /** The same with other initializer tokens. */
    public DeltaInfo withInitializerTokens(List<String> tokens) {
        return new DeltaInfo(formatVersion, tokens, trainMode, baseModelSha256, baseModelName, training, notes);
    }

    /** The same with other training settings (a JSON object string). */
    public DeltaInfo withTraining(String json) {
        return new DeltaInfo(formatVersion, initializerTokens, trainMode, baseModelSha256, baseModelName, json, notes);
    }

    /** The same with other notes. */
    public DeltaInfo withNotes(String text) {
        return new DeltaInfo(formatVersion, initializerTokens, trainMode, baseModelSha256, baseModelName, training, text);
    }

    /** The same marked as the current format version (what a writer produces). */
    public DeltaInfo current() {
        return new DeltaInfo(FORMAT_VERSION, initializerTokens, trainMode, baseModelSha256, baseModelName, training, notes);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
