package org.cd4j.concept.delta;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.TrainMode;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * cd4j's own delta file ({@code *.cd4j.safetensors}, DESIGN §5): one safetensors file with
 * tensors {@code unet.<param>} (absolute weight) or {@code unet.<param>.u} + {@code unet.<param>.v}
 * (low-rank change), {@code token_embedding.<token>} (D), and string {@code __metadata__}:
 * {@code format} = {@value #FORMAT}, {@code format_version}, {@code modifier_tokens} and
 * {@code initializer_tokens} (JSON lists), {@code train_mode}, {@code weights}
 * (full|low_rank|mixed), {@code base_model_sha256}, {@code base_model_name}, {@code training}
 * (a JSON object) and {@code notes}. Tensors keep their dtype, so a read-write round trip is
 * bit-exact.
 */
public final class Cd4jDeltaFile {
    /** The {@code format} metadata value that marks a cd4j delta. */
    public static final String FORMAT = "cd4j-delta";
    /** The usual file name ending. */
    public static final String SUFFIX = ".cd4j.safetensors";

    private static final String UNET = "unet.", TOKEN = "token_embedding.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Cd4jDeltaFile() {}

    /** Whether safetensors metadata marks a cd4j delta. */
    public static boolean isCd4j(Map<String, String> metadata) {
        return FORMAT.equals(metadata.get("format"));
    }

    /**
     * Reads a cd4j delta; tensors are copied out of the mapped file.
     *
     * @throws FormatException when the file is not a cd4j delta, is newer than this cd4j, or inconsistent
     */
    public static ConceptDelta read(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!isCd4j(meta)) {
                throw new FormatException(file, "has no cd4j delta metadata (format=" + FORMAT + "); found metadata "
                        + meta.keySet());
            }
            int version = version(file, meta.get("format_version"));
            List<String> tokenOrder = jsonList(file, meta, "modifier_tokens");
            Map<String, Tensor> rows = new LinkedHashMap<>();
            Map<String, DeltaWeight> weights = new LinkedHashMap<>();
            Set<String> seen = new LinkedHashSet<>();
            for (String key : f.keys()) {
                if (key.startsWith(TOKEN)) {
                    rows.put(key.substring(TOKEN.length()), f.tensor(key).clone());
                } else if (key.startsWith(UNET)) {
                    String rest = key.substring(UNET.length());
                    if (rest.endsWith(".u") || rest.endsWith(".v")) {
                        String param = rest.substring(0, rest.length() - 2);
                        if (!seen.add(param)) continue;
                        String u = UNET + param + ".u", v = UNET + param + ".v";
                        if (!f.contains(u) || !f.contains(v) || f.contains(UNET + param)) {
                            throw new FormatException(file, "low-rank weight " + param + " needs both " + u + " and " + v
                                    + " and no " + UNET + param);
                        }
                        weights.put(param, DeltaWeight.lowRank(f.tensor(u).clone(), f.tensor(v).clone()));
                    } else {
                        weights.put(rest, DeltaWeight.full(f.tensor(key).clone()));
                    }
                } else {
                    throw new FormatException(file, "tensor '" + key + "' is neither unet.<param>[.u|.v] nor token_embedding.<token>");
                }
            }
            if (!new LinkedHashSet<>(tokenOrder).equals(rows.keySet()) || tokenOrder.size() != rows.size()) {
                throw new FormatException(file, "modifier_tokens " + tokenOrder + " does not match the token_embedding"
                        + " tensors " + rows.keySet());
            }
            Map<String, Tensor> tokens = new LinkedHashMap<>();
            for (String t : tokenOrder) tokens.put(t, rows.get(t));
            String mode = meta.get("train_mode");
            String sha = meta.get("base_model_sha256");
            DeltaInfo info = new DeltaInfo(version, jsonList(file, meta, "initializer_tokens"),
                    mode == null || mode.isEmpty() ? null : TrainMode.parse(mode),
                    sha == null || sha.isEmpty() ? null : sha, emptyToNull(meta.get("base_model_name")),
                    meta.get("training"), meta.get("notes"));
            return new ConceptDelta(weights, tokens, info);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "is not a valid cd4j delta: " + e.getMessage(), e);
        }
    }

    private static int version(Path file, String v) throws FormatException {
        int version;
        try {
            version = Integer.parseInt(v == null ? "" : v.strip());
        } catch (NumberFormatException e) {
            throw new FormatException(file, "format_version '" + v + "' is not a number");
        }
        if (version > DeltaInfo.FORMAT_VERSION) {
            throw new FormatException(file, "was written by a newer cd4j (delta format version " + version
                    + "; this cd4j reads up to version " + DeltaInfo.FORMAT_VERSION + "); upgrade cd4j to use it");
        }
        if (version < 1) throw new FormatException(file, "format_version " + version + " is invalid");
        return version;
    }

    private static List<String> jsonList(Path file, Map<String, String> meta, String key) throws FormatException {
        String s = meta.get(key);
        if (s == null || s.isBlank()) return List.of();
        try {
            return JSON.readValue(s, new TypeReference<List<String>>() {});
        } catch (IOException e) {
            throw new FormatException(file, "metadata " + key + " is not a JSON list of strings: " + s);
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** The tensors of a delta under their cd4j names, in order: weights, then tokens. */
    public static Map<String, Tensor> tensors(ConceptDelta d) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            DeltaWeight w = e.getValue();
            if (w.isLowRank()) {
                out.put(UNET + e.getKey() + ".u", w.u());
                out.put(UNET + e.getKey() + ".v", w.v());
            } else {
                out.put(UNET + e.getKey(), w.full());
            }
        }
        d.tokens().forEach((t, row) -> out.put(TOKEN + t, row));
        return out;
    }

    /** The {@code __metadata__} of a delta, in the documented order. */
    public static Map<String, String> metadata(ConceptDelta d) {
        DeltaInfo i = d.info();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("format_version", Integer.toString(DeltaInfo.FORMAT_VERSION));
        m.put("modifier_tokens", json(d.modifierTokens()));
        m.put("initializer_tokens", json(i.initializerTokens()));
        m.put("train_mode", i.trainMode().id);
        m.put("weights", d.storage());
        m.put("base_model_sha256", i.baseModelSha256() == null ? "" : i.baseModelSha256());
        m.put("base_model_name", i.baseModelName() == null ? "" : i.baseModelName());
        m.put("training", i.training());
        m.put("notes", i.notes());
        return m;
    }

    private static String json(List<String> l) {
        try {
            return JSON.writeValueAsString(new ArrayList<>(l));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code d} atomically; an existing file is replaced only when {@code overwrite}. */
    public static void write(Path file, ConceptDelta d, boolean overwrite) throws IOException {
        SafetensorsWriter.write(file, tensors(d), metadata(d), overwrite);
    }
}
