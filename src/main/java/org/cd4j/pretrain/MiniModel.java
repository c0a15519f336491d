package org.cd4j.pretrain;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.AtomicFiles;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The mini text-to-image model cd4j ships (made by {@code cd4j pretrain} with its defaults on the
 * synthetic world; weights stored in float16 to keep the jar small). It lives in the jar as
 * resources under {@code org/cd4j/mini/} with a manifest ({@code files.txt}: SHA-256 and path per
 * line) and is unpacked once into the cache ({@code $CD4J_HOME/cache}, else
 * {@code ~/.cache/cd4j}) as an ordinary diffusers folder, named by the manifest's hash so a new
 * model never mixes with an old one.
 */
public final class MiniModel {
    static final String RESOURCES = "/org/cd4j/mini/";
    static final String MANIFEST = "files.txt";

    private MiniModel() {}

    /** Whether this build carries the mini model. */
    public static boolean available() {
        return MiniModel.class.getResource(RESOURCES + MANIFEST) != null;
    }

    /** The mini model's folder, unpacking it into the default cache on first use. */
    public static Path folder() throws IOException {
        return folder(defaultCache());
    }

    /** The default cache root: {@code $CD4J_HOME/cache}, else {@code ~/.cache/cd4j}. */
    public static Path defaultCache() {
        return defaultCache(System.getenv());
    }

    /** Like {@link #defaultCache()}, reading {@code CD4J_HOME} and {@code HOME} from {@code env} (a test's own). */
    public static Path defaultCache(Map<String, String> env) {
        String home = env.get("CD4J_HOME");
        if (home != null && !home.isBlank()) return Path.of(home, "cache");
        String user = env.get("HOME");
        return Path.of(user != null && !user.isBlank() ? user : System.getProperty("user.home"), ".cache", "cd4j");
    }

    /** The mini model's folder under {@code cacheRoot}, unpacked and checked on first use. */
    public static Path folder(Path cacheRoot) throws IOException {
        byte[] manifest = resource(MANIFEST);
        String id = HexFormat.of().formatHex(sha256(manifest)).substring(0, 16);
        Path dir = cacheRoot.resolve("mini-model-" + id);
        if (Files.isRegularFile(dir.resolve("model_index.json"))) return dir;
        Files.createDirectories(cacheRoot);
        Path tmp = Files.createTempDirectory(cacheRoot, ".mini-model-" + id + ".");
        for (String line : new String(manifest, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) continue;
            String[] parts = line.split(" {2}", 2);
            byte[] bytes = resource(parts[1]);
            if (!HexFormat.of().formatHex(sha256(bytes)).equals(parts[0])) {
                throw new IOException("the cd4j jar's mini model file " + parts[1] + " is corrupt (SHA-256 mismatch)");
            }
            Path f = tmp.resolve(parts[1]);
            Files.createDirectories(f.getParent());
            Files.write(f, bytes);
        }
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            deleteTree(tmp); // another process unpacked it at the same time
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot unpack the mini model into " + cacheRoot + ": " + e.getMessage(), e);
        }
        return dir;
    }

    /**
     * Writes a finished pretraining folder as the resources the jar ships: configuration and
     * tokenizer files as they are, weights converted to float16, and the manifest.
     */
    public static void export(Path modelDir, Path resourceDir) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String name : shippedFiles(modelDir)) {
            Path src = modelDir.resolve(name);
            Path dst = resourceDir.resolve(name);
            if (name.endsWith(".safetensors")) {
                try (SafetensorsFile f = SafetensorsFile.open(src)) {
                    Map<String, Tensor> half = new LinkedHashMap<>();
                    for (String k : f.keys()) half.put(k, f.tensor(k).to(DType.F16.scalarType));
                    SafetensorsWriter.write(dst, half, f.metadata(), true);
                }
            } else {
                byte[] bytes = Files.readAllBytes(src);
                AtomicFiles.write(dst, true, out -> out.write(bytes));
            }
            lines.add(HexFormat.of().formatHex(sha256(Files.readAllBytes(dst))) + "  " + name);
        }
        byte[] manifest = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(resourceDir.resolve(MANIFEST), true, out -> out.write(manifest));
    }

    /** The files of a diffusers folder the mini model consists of (no training state). */
    private static List<String> shippedFiles(Path modelDir) throws IOException {
        if (!Files.isRegularFile(modelDir.resolve("model_index.json"))) {
            throw new IllegalArgumentException(modelDir + " is not a finished model (model_index.json is missing)");
        }
        List<String> out = new ArrayList<>();
        out.add("model_index.json");
        for (String part : List.of("scheduler", "text_encoder", "tokenizer", "unet", "vae")) {
            try (Stream<Path> s = Files.list(modelDir.resolve(part))) {
                s.filter(Files::isRegularFile).map(p -> part + "/" + p.getFileName()).sorted().forEach(out::add);
            }
        }
        return out;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = MiniModel.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("this cd4j build does not carry the mini model (resource " + RESOURCES + name
                        + " missing); give --model");
            }
            return in.readAllBytes();
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
