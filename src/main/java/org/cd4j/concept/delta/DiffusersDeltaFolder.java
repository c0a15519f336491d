package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.io.TorchPickleWriter;
import org.cd4j.io.WeightFile;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * diffusers' Custom Diffusion output (reference §2.4, "Formats" 5-6): a folder with
 * {@code pytorch_custom_diffusion_weights.{safetensors,bin}} — keys
 * {@code <module>.processor.to_k_custom_diffusion.weight}, {@code …to_v_…}, optional
 * {@code …to_q_custom_diffusion.weight} and {@code …to_out_custom_diffusion.0.weight/.bias},
 * plus in the {@code .bin} an empty dict {@code <module>.processor: {}} for every attention
 * module without weights — and one {@code <token>.{bin,safetensors}} per modifier token.
 *
 * <p>A token-only delta ({@code --freeze-model all}) is a folder of token files alone.
 *
 * <p>The processor keys map to the UNet's own names ({@code <module>.to_k.weight},
 * {@code <module>.to_out.0.bias} …). Unlike current diffusers (§0.9), absent empty entries are
 * fine: the weights are applied directly.
 */
public final class DiffusersDeltaFolder {
    /** diffusers' {@code CUSTOM_DIFFUSION_WEIGHT_NAME} (pickle). */
    public static final String BIN = "pytorch_custom_diffusion_weights.bin";
    /** diffusers' {@code CUSTOM_DIFFUSION_WEIGHT_NAME_SAFE}. */
    public static final String SAFETENSORS = "pytorch_custom_diffusion_weights.safetensors";

    /** UNet parameter suffix ↔ processor parameter suffix, in the processor's parameter order. */
    private static final Map<String, String> PROCESSOR = new LinkedHashMap<>();

    static {
        PROCESSOR.put("to_k.weight", "to_k_custom_diffusion.weight");
        PROCESSOR.put("to_v.weight", "to_v_custom_diffusion.weight");
        PROCESSOR.put("to_q.weight", "to_q_custom_diffusion.weight");
        PROCESSOR.put("to_out.0.weight", "to_out_custom_diffusion.0.weight");
        PROCESSOR.put("to_out.0.bias", "to_out_custom_diffusion.0.bias");
    }

    private DiffusersDeltaFolder() {}

    /** The weights file of a folder (safetensors preferred, as diffusers does), or null. */
    static Path weightsIn(Path dir) {
        for (String n : new String[]{SAFETENSORS, BIN}) {
            if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        }
        return null;
    }

    /** Whether a key is a diffusers Custom Diffusion processor key. */
    static boolean isProcessorKey(String key) {
        return key.contains("_custom_diffusion");
    }

    /**
     * Reads a folder or a weights file, with the token files beside it.
     *
     * @throws FormatException when there is no weights file or a key is not a Custom Diffusion processor weight
     */
    public static ConceptDelta read(Path input, List<String> warnings) throws IOException {
        Path file = Files.isDirectory(input) ? weightsIn(input) : input;
        if (file == null) throw new FormatException(input, "has no " + SAFETENSORS + " or " + BIN);
        Map<String, Object> entries = new LinkedHashMap<>();
        if (WeightFile.detect(file) == WeightFile.Format.SAFETENSORS) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                // safetensors writers sort keys by name: put them back in diffusers' order
                List<String> keys = new ArrayList<>(f.keys());
                keys.sort(Comparator.comparing(DiffusersDeltaFolder::unetNameOrSelf, CrossAttnParams.DIFFUSERS_ORDER));
                for (String k : keys) entries.put(k, f.tensor(k).clone());
            }
        } else {
            entries.putAll(TorchPickleReader.readDict(file, TorchPickleReader.Mode.LENIENT));
        }
        return fromEntries(file, entries, warnings);
    }

    /** Builds the delta from the entries of a weights file and the token files beside it. */
    static ConceptDelta fromEntries(Path file, Map<String, Object> entries, List<String> warnings) throws IOException {
        Map<String, DeltaWeight> weights = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : entries.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (v instanceof Map<?, ?> m && m.isEmpty() && key.endsWith(".processor")) continue; // parameter-less processor
            weights.put(unetName(file, key), AdobeDeltaFile.weight(file, key, v));
        }
        if (weights.isEmpty()) throw new FormatException(file, "holds no Custom Diffusion weights (no '…_custom_diffusion…' tensor)");
        Map<String, Tensor> tokens = TokenFiles.beside(file);
        if (tokens.isEmpty()) {
            warnings.add(file + ": no token file (<token>.bin or <token>.safetensors) beside it; the delta adds no token");
        }
        try {
            CrossAttnParams.checkAll(weights.keySet(), "delta");
            return new ConceptDelta(weights, tokens, DeltaInfo.empty());
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "is not a valid delta: " + e.getMessage(), e);
        }
    }

    /**
     * A folder with token files and no weights file, as {@link #write} makes of a token-only
     * ({@code --freeze-model all}) delta: the delta of those tokens, or null when there is none.
     */
    static ConceptDelta readTokensOnly(Path dir) throws IOException {
        Map<String, Tensor> tokens = TokenFiles.in(dir);
        if (tokens.isEmpty()) return null;
        try {
            return new ConceptDelta(Map.of(), tokens, DeltaInfo.empty());
        } catch (IllegalArgumentException e) {
            throw new FormatException(dir, "is not a valid token-only delta: " + e.getMessage(), e);
        }
    }

    private static String unetNameOrSelf(String key) {
        try {
            return unetName(null, key);
        } catch (FormatException e) {
            return key;
        }
    }

    private static String unetName(Path file, String key) throws FormatException {
        int p = key.lastIndexOf(".processor.");
        if (p > 0) {
            String module = key.substring(0, p);
            String param = key.substring(p + ".processor.".length());
            for (Map.Entry<String, String> e : PROCESSOR.entrySet()) {
                if (e.getValue().equals(param) && module.endsWith(".attn2")) return module + "." + e.getKey();
            }
        }
        throw new FormatException(file, "key '" + key + "' is not a Custom Diffusion cross-attention processor weight"
                + " (expected <module>.attn2.processor.{to_k,to_v,to_q}_custom_diffusion.weight or"
                + " to_out_custom_diffusion.0.{weight,bias})");
    }

    /**
     * The {@code .bin} structure: each module's tensors (k, v, q, out.weight, out.bias, as
     * diffusers' processors hold them), modules in {@code modules} order, then an empty dict for
     * every module without weights, as {@code save_attn_procs} appends them.
     *
     * @param modules attention modules in diffusers' {@code attn_processors} order
     */
    static Map<String, Object> toEntries(ConceptDelta d, List<String> modules) {
        Map<String, Map<String, Tensor>> byModule = new LinkedHashMap<>();
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            byModule.computeIfAbsent(CrossAttnParams.module(e.getKey()), k -> new LinkedHashMap<>())
                    .put(CrossAttnParams.suffix(e.getKey()), e.getValue().full());
        }
        Set<String> unknown = new LinkedHashSet<>(byModule.keySet());
        modules.forEach(unknown::remove);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("the base model has no attention module " + unknown.iterator().next());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> empty = new ArrayList<>();
        for (String m : modules) {
            Map<String, Tensor> ps = byModule.get(m);
            if (ps == null) {
                empty.add(m);
                continue;
            }
            for (Map.Entry<String, String> s : PROCESSOR.entrySet()) {
                Tensor t = ps.get(s.getKey());
                if (t != null) out.put(m + ".processor." + s.getValue(), t);
            }
        }
        for (String m : empty) out.put(m + ".processor", new LinkedHashMap<String, Object>());
        return out;
    }

    /** Attention modules when no base model is known: each module of the delta, its self-attention first. */
    static List<String> modulesOf(ConceptDelta d) {
        Set<String> out = new LinkedHashSet<>();
        for (String k : d.weights().keySet()) {
            String m = CrossAttnParams.module(k);
            out.add(m.substring(0, m.length() - 1) + "1");
            out.add(m);
        }
        return new ArrayList<>(out);
    }

    /** The files {@link #write} creates in {@code dir}: the weights files (unless token-only), then the token files. */
    public static List<Path> files(Path dir, ConceptDelta d) {
        List<Path> out = new ArrayList<>();
        if (!d.weights().isEmpty()) out.addAll(List.of(dir.resolve(BIN), dir.resolve(SAFETENSORS)));
        for (String t : d.tokens().keySet()) {
            TokenFiles.checkFileName(t);
            out.addAll(TokenFiles.files(dir, t));
        }
        return out;
    }

    /**
     * Writes the diffusers folder. Low-rank weights are expanded with {@code base}'s weights
     * (diffusers stores absolute ones). Every target is checked before anything is written, and
     * each file is written atomically. The processors hold cross-attention weights only, so a
     * {@code none} (full-UNet) delta is refused; a token-only ({@code all}) delta is written as its
     * token files alone, which is what diffusers' {@code load_textual_inversion} reads.
     *
     * @param base the base model (for expansion and module order), or null when every weight is absolute
     * @return the files written
     */
    public static List<Path> write(Path dir, ConceptDelta d, BaseModel base, boolean overwrite) throws IOException {
        d.requireCrossAttentionOnly("diffusers' " + SAFETENSORS);
        if (d.hasLowRank()) {
            if (base == null) {
                throw new IllegalArgumentException("diffusers stores absolute weights; expanding the low-rank delta needs"
                        + " the base model (give --model)");
            }
            d = d.expanded(base);
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new FileAlreadyExistsException(dir.toString(), null, "exists and is not a folder (diffusers output is a folder)");
        }
        if (d.weights().isEmpty() && weightsIn(dir) != null) {
            // its token files would be read together with those weights as one delta
            throw new IllegalArgumentException(dir + " holds the Custom Diffusion weights of another delta ("
                    + weightsIn(dir).getFileName() + "); write the token-only delta into a folder without them");
        }
        List<Path> files = files(dir, d);
        if (!overwrite) {
            for (Path p : files) if (Files.exists(p)) throw new FileAlreadyExistsException(p.toString());
        }
        Files.createDirectories(dir);
        if (!d.weights().isEmpty()) {
            Map<String, Object> entries = toEntries(d, base != null ? base.attentionModules() : modulesOf(d));
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            entries.forEach((k, v) -> {
                if (v instanceof Tensor t) tensors.put(k, t);
            });
            TorchPickleWriter.write(dir.resolve(BIN), entries, overwrite);
            SafetensorsWriter.write(dir.resolve(SAFETENSORS), tensors, Map.of("format", "pt"), overwrite);
        }
        for (Map.Entry<String, Tensor> e : d.tokens().entrySet()) TokenFiles.write(dir, e.getKey(), e.getValue(), overwrite);
        return files;
    }
}
