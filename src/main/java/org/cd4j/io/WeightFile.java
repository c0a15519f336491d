package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a flat {@code name -> tensor} weight file, whatever its container: safetensors
 * (memory-mapped, zero-copy) or a {@code torch.save} archive ({@code .bin}, {@code .pt},
 * {@code .ckpt}). The container is recognised by its first bytes, not its extension, so a
 * misnamed file still loads or fails with a message about what it really is.
 *
 * <p>Only flat dicts are returned as they are: nested dicts are not silently flattened (names
 * would change meaning), and the error lists the top-level keys so the caller can pick one with a
 * key path, e.g. {@code loadFlat(ckpt, "state_dict")} for a Lightning checkpoint. Empty dicts
 * among the values (diffusers' {@code attn1.processor: {}}) hold no weights and are skipped.
 */
public final class WeightFile {
    /** What a file holds, judged by its first bytes. */
    public enum Format {
        SAFETENSORS,
        TORCH
    }

    private WeightFile() {}

    /**
     * The weights file of a model part folder: {@code <stem>.safetensors}, else {@code <stem>.bin}
     * (diffusers' names, e.g. {@code diffusion_pytorch_model}, {@code model} / {@code pytorch_model}),
     * else the one variant file there is ({@code <stem>.fp16.safetensors}: what a hub download
     * with {@code --variant fp16} holds). A folder with both loads the plain file.
     *
     * @param stems accepted stems in order of preference
     * @throws NoSuchFileException naming the folder and the expected files when none exists
     */
    public static Path locate(Path dir, String what, String... stems) throws IOException {
        if (!Files.isDirectory(dir)) throw new java.nio.file.NoSuchFileException(dir.toString(), null, what + " folder not found");
        java.util.List<String> tried = new java.util.ArrayList<>();
        for (String ext : new String[]{".safetensors", ".bin"}) {
            for (String stem : stems) {
                Path p = dir.resolve(stem + ext);
                if (Files.isRegularFile(p)) return p;
                tried.add(stem + ext);
            }
        }
        // A hub download with --variant fp16 holds only the variant, e.g. diffusion_pytorch_model.fp16.safetensors.
        java.util.List<Path> variants = variants(dir, stems);
        if (variants.size() == 1) return variants.get(0);
        if (variants.size() > 1) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no " + what + " weights named "
                    + String.join(" or ", tried) + ", and several variants " + variants.stream().map(p -> p.getFileName().toString()).toList()
                    + " to choose from; keep one of them");
        }
        throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no " + what + " weights (expected "
                + String.join(" or ", tried) + ")");
    }

    /** The {@code <stem>.<variant>.safetensors|bin} files of a folder (diffusers' variant naming), sorted. */
    private static java.util.List<Path> variants(Path dir, String... stems) throws IOException {
        java.util.List<Path> out = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                for (String stem : stems) {
                    if (n.matches(java.util.regex.Pattern.quote(stem) + "\\.[A-Za-z0-9_]+\\.(safetensors|bin)") && Files.isRegularFile(p)) out.add(p);
                }
            }
        }
        return out;
    }

    /** The container of {@code file}: ZIP (or legacy pickle) means torch, anything else safetensors. */
    public static Format detect(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(9);
        }
        boolean zip = head.length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5);
        // A safetensors header length may well start with byte 0x80 too; its JSON at byte 8 decides.
        boolean json = head.length >= 9 && head[8] == '{';
        boolean legacyPickle = !json && head.length >= 1 && (head[0] & 0xff) == 0x80;
        return zip || legacyPickle ? Format.TORCH : Format.SAFETENSORS;
    }

    /**
     * Loads a file whose top level is a flat dict of tensors, reading torch files strictly.
     *
     * @throws FormatException when the file is invalid or not a flat dict of tensors
     */
    public static LoadedWeights loadFlat(Path file) throws IOException {
        return loadFlat(file, new String[0]);
    }

    /**
     * Loads the flat dict of tensors found under {@code keyPath} in a torch file (for example
     * {@code "state_dict"}). With a key path the pickle is read leniently, so objects beside the
     * selected dict (Lightning callbacks, hyper-parameters) are skipped without being run.
     */
    public static LoadedWeights loadFlat(Path file, String... keyPath) throws IOException {
        if (detect(file) == Format.SAFETENSORS) {
            if (keyPath.length > 0) {
                throw new IllegalArgumentException(file + " is a safetensors file, which is flat; a key path "
                        + List.of(keyPath) + " only applies to torch.save files");
            }
            SafetensorsFile f = SafetensorsFile.open(file);
            try {
                return new LoadedWeights(file, f.tensors(), f.metadata(), f);
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
        }
        TorchPickleReader.Mode mode = keyPath.length > 0 ? TorchPickleReader.Mode.LENIENT : TorchPickleReader.Mode.STRICT;
        Object node = TorchPickleReader.read(file, mode);
        StringBuilder where = new StringBuilder();
        for (String k : keyPath) {
            if (!(node instanceof Map<?, ?> m) || !m.containsKey(k)) {
                String at = where.length() == 0 ? "at the top level" : "under '" + where + "'";
                String has = node instanceof Map<?, ?> m2 ? "its keys are " + m2.keySet() : "it holds " + TorchPickleReader.kind(node);
                throw new FormatException(file, "has no key '" + k + "' " + at + "; " + has);
            }
            node = ((Map<?, ?>) node).get(k);
            where.append(where.length() == 0 ? "" : "/").append(k);
        }
        return new LoadedWeights(file, flat(file, node, where.toString()), Map.of(), null);
    }

    private static Map<String, Tensor> flat(Path file, Object node, String where) throws FormatException {
        String at = where.isEmpty() ? "at the top level" : "under '" + where + "'";
        if (!(node instanceof Map<?, ?> m)) {
            throw new FormatException(file, "holds " + TorchPickleReader.kind(node) + " " + at
                    + ", expected a dict of tensors");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Tensor t) {
                out.put((String) e.getKey(), t);
            } else if (!(v instanceof Map<?, ?> sub && sub.isEmpty())) {
                throw new FormatException(file, "is not a flat dict of tensors: '" + e.getKey() + "' " + at + " holds "
                        + TorchPickleReader.kind(v) + " (keys " + at + ": " + abbreviate(m.keySet().toString())
                        + "); expected tensors only, or a key path selecting a nested dict");
            }
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }
}
