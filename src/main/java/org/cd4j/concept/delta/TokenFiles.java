package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.io.TorchPickleWriter;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Files holding token embeddings: diffusers' Custom Diffusion token files {@code <tok>.bin} /
 * {@code <tok>.safetensors} = {@code {tok: row}} (the {@code .bin} row may be a view of the
 * whole embedding matrix; the pickle reader copies just the row), diffusers textual-inversion
 * {@code learned_embeds.{bin,safetensors}} = {@code {tok: (1, D)}}, and A1111 embeddings
 * {@code {'string_to_param': {'*': (k, D)}, 'name': …}} (or {@code emb_params} in safetensors).
 * Only one vector per token is supported: Custom Diffusion trains one.
 */
public final class TokenFiles {
    /** Files in a diffusers output folder that are certainly not token files. */
    private static final Set<String> NOT_TOKENS = Set.of("pytorch_custom_diffusion_weights", "optimizer", "scheduler",
            "scaler", "pytorch_model", "diffusion_pytorch_model", "model", "pytorch_lora_weights", "delta", "random_states_0");

    private TokenFiles() {}

    /**
     * The tokens of a torch-file structure, or null when it does not look like a token file.
     *
     * @param stem the file name without extension (the token of an A1111 file without a name)
     */
    static Map<String, Tensor> fromTorch(Path file, Map<String, Object> root, String stem) throws FormatException {
        if (root.get("string_to_param") instanceof Map<?, ?> params) {
            if (params.size() != 1 || !(params.values().iterator().next() instanceof Tensor t)) {
                throw new FormatException(file, "A1111 embedding 'string_to_param' must hold one tensor, found keys " + params.keySet());
            }
            String name = root.get("name") instanceof String s && !s.isBlank() ? s : stem;
            return Map.of(name, row(file, name, t));
        }
        if (root.size() == 1) {
            Map.Entry<String, Object> e = root.entrySet().iterator().next();
            if (e.getValue() instanceof Tensor t && t.dim() >= 1 && t.dim() <= 2) return Map.of(e.getKey(), row(file, e.getKey(), t));
            if (e.getValue() instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Tensor)) {
                throw sdxl(file, e.getKey());
            }
        }
        return null;
    }

    /** The tokens of a safetensors file, or null when it does not look like a token file. */
    static Map<String, Tensor> fromSafetensors(SafetensorsFile f, String stem) throws FormatException {
        List<String> keys = f.keys();
        if (keys.size() != 1) return null;
        String key = keys.get(0);
        long[] shape = f.info(key).shape();
        if (shape.length < 1 || shape.length > 2) return null;
        String token = key.equals("emb_params") ? stem : key; // A1111 safetensors embeddings
        return Map.of(token, row(f.path(), token, f.tensor(key).clone()));
    }

    static FormatException sdxl(Path file, String token) {
        return new FormatException(file, "token " + token + " has one embedding per text encoder (an SD-XL delta);"
                + " SD-XL is not supported, only SD-1.x/2.x deltas with one embedding row per token");
    }

    /** A (D) row from a (D) or (1, D) tensor; several vectors are refused. */
    private static Tensor row(Path file, String token, Tensor t) throws FormatException {
        if (t.dim() == 2 && t.size(0) != 1) {
            throw new FormatException(file, "token " + token + " has " + t.size(0) + " embedding vectors "
                    + Arrays.toString(Tensors.shape(t)) + "; multi-vector embeddings are not supported (Custom Diffusion uses one)");
        }
        if (t.dim() != 1 && t.dim() != 2) {
            throw new FormatException(file, "token " + token + " has an embedding of shape " + Arrays.toString(Tensors.shape(t))
                    + ", expected (D) or (1, D)");
        }
        return t.dim() == 2 ? t.reshape(t.size(1)).clone() : t;
    }

    /**
     * Reads a token file of any of the supported kinds.
     *
     * @throws FormatException when it holds no token embedding
     */
    public static Map<String, Tensor> read(Path file) throws IOException {
        String stem = stem(file);
        Map<String, Tensor> out;
        if (WeightFile.detect(file) == WeightFile.Format.SAFETENSORS) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                out = fromSafetensors(f, stem);
            }
        } else {
            out = fromTorch(file, TorchPickleReader.readDict(file, TorchPickleReader.Mode.LENIENT), stem);
        }
        if (out == null) throw new FormatException(file, "is not a token embedding file (expected {token: row})");
        return out;
    }

    /**
     * The token files beside a diffusers weights file, in natural order ({@code <new2>} before
     * {@code <new10>}): {@code .bin}/{@code .safetensors}/{@code .pt} files whose one key is their
     * file name, and {@code learned_embeds.*}. Where both a {@code .safetensors} and a {@code .bin}
     * exist for a token, the safetensors file is read.
     */
    public static Map<String, Tensor> beside(Path weightsFile) throws IOException {
        return in(weightsFile.toAbsolutePath().getParent());
    }

    /** The token files in a folder, as {@link #beside} finds them. */
    public static Map<String, Tensor> in(Path dir) throws IOException {
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).filter(p -> isCandidate(p.getFileName().toString())).forEach(candidates::add);
        }
        candidates.sort(Comparator.comparing((Path p) -> stem(p), TokenFiles::naturalCompare)
                .thenComparing(p -> p.getFileName().toString().endsWith(".safetensors") ? 0 : 1));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Path p : candidates) {
            String stem = stem(p);
            if (out.containsKey(stem)) continue;
            Map<String, Tensor> t;
            try {
                t = read(p);
            } catch (FormatException e) {
                continue; // some other file of the training run
            }
            boolean learned = stem.equals("learned_embeds");
            if (learned || t.containsKey(stem)) {
                for (Map.Entry<String, Tensor> e : t.entrySet()) out.putIfAbsent(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static boolean isCandidate(String name) {
        String stem = stripExt(name);
        return stem != null && !stem.startsWith(".") && !NOT_TOKENS.contains(stem);
    }

    private static String stripExt(String name) {
        for (String ext : new String[]{".safetensors", ".bin", ".pt"}) {
            if (name.endsWith(ext) && name.length() > ext.length()) return name.substring(0, name.length() - ext.length());
        }
        return null;
    }

    /** The file name without {@code .safetensors}/{@code .bin}/{@code .pt}. */
    static String stem(Path file) {
        String n = file.getFileName().toString();
        String s = stripExt(n);
        return s == null ? n : s;
    }

    /** Compares with digit runs as numbers, so {@code <new2>} sorts before {@code <new10>}. */
    static int naturalCompare(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i), cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int si = i, sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) i++;
                while (j < b.length() && Character.isDigit(b.charAt(j))) j++;
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", ""), nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) return c;
            } else {
                if (ca != cb) return Character.compare(ca, cb);
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Checks a token can name a file ({@code <tok>.bin}). */
    static void checkFileName(String token) {
        if (token.contains("/") || token.contains("\\") || token.contains("\0") || token.equals(".") || token.equals("..")) {
            throw new IllegalArgumentException("token '" + token + "' cannot be used as a file name (diffusers stores"
                    + " each token in <token>.bin); rename it");
        }
    }

    /** The files {@link #write} produces for a token. */
    static List<Path> files(Path dir, String token) {
        return List.of(dir.resolve(token + ".bin"), dir.resolve(token + ".safetensors"));
    }

    /** Writes diffusers' {@code <tok>.bin} ({@code torch.save({tok: row})}) and {@code <tok>.safetensors}. */
    static void write(Path dir, String token, Tensor row, boolean overwrite) throws IOException {
        checkFileName(token);
        List<Path> f = files(dir, token);
        Map<String, Object> dict = new LinkedHashMap<>();
        dict.put(token, row);
        TorchPickleWriter.write(f.get(0), dict, overwrite);
        SafetensorsWriter.write(f.get(1), Map.of(token, row), Map.of("format", "pt"), overwrite);
    }

    /** The AUTOMATIC1111 embedding file {@link #writeA1111} writes for a token. */
    static Path a1111File(Path dir, String token) {
        checkFileName(token);
        return dir.resolve(token + ".safetensors");
    }

    /**
     * Writes an AUTOMATIC1111 textual-inversion embedding: {@code <token>.safetensors} holding one
     * tensor {@code emb_params} (1, D), the layout A1111 reads as a one-vector embedding (it takes
     * the file's only tensor) and names after the file, so the token typed in a prompt is the file
     * name.
     */
    static void writeA1111(Path dir, String token, Tensor row, boolean overwrite) throws IOException {
        SafetensorsWriter.write(a1111File(dir, token), Map.of("emb_params", row.reshape(1, row.size(0))),
                Map.of("format", "pt"), overwrite);
    }
}
