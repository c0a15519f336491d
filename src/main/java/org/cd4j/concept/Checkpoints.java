package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Training checkpoints: {@code OUTPUT/checkpoints/checkpoint-<step>/state.safetensors} holds
 * everything a run's future depends on — the trained tensors, the optimiser's moments and step
 * count, the random generator's state — while the data order and learning rate are functions of
 * the step. A checkpoint is written into a {@code .partial} folder and renamed when complete, so a
 * killed run always leaves the previous checkpoint loadable.
 */
public final class Checkpoints {
    static final String STATE = "state.safetensors";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");

    private Checkpoints() {}

    /** What a checkpoint restores. */
    public record State(int step, Map<String, Tensor> params, Map<String, Tensor> optimizer, long optimizerSteps,
                        Tensor rngState, String configDigest) {}

    /**
     * Writes checkpoint {@code step}; {@code extra} may add files (e.g. the delta at this step)
     * into the folder before it is published.
     */
    public static Path save(Path output, int step, TrainableModel tm, AdamW opt, Rng rng, String configDigest,
                            IOConsumer<Path> extra) throws IOException {
        Path root = output.resolve("checkpoints");
        Files.createDirectories(root);
        Path fin = root.resolve("checkpoint-" + step);
        Path tmp = root.resolve("checkpoint-" + step + ".partial");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            tm.parameters().forEach((k, v) -> tensors.put("param/" + k, v.detach()));
            opt.state().forEach((k, v) -> tensors.put("optim/" + k, v));
            tensors.put("rng/train", rng.state());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "cd4j-checkpoint");
        meta.put("format_version", "1");
        meta.put("step", Integer.toString(step));
        meta.put("optimizer_steps", Long.toString(opt.steps()));
        meta.put("config_digest", configDigest);
        SafetensorsWriter.write(tmp.resolve(STATE), tensors, meta, true);
        if (extra != null) extra.accept(tmp);
        deleteTree(fin);
        Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE);
        return fin;
    }

    /** Reads a checkpoint folder (copies every tensor, so the file can close). */
    public static State load(Path dir) throws IOException {
        Path file = dir.resolve(STATE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " is not a cd4j checkpoint (no " + STATE + ")");
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!"cd4j-checkpoint".equals(meta.get("format"))) throw new IllegalArgumentException(file + " is not a cd4j checkpoint");
            if (!"1".equals(meta.get("format_version"))) {
                throw new IllegalArgumentException(file + " has checkpoint format " + meta.get("format_version") + "; this cd4j reads version 1");
            }
            Map<String, Tensor> params = new LinkedHashMap<>();
            Map<String, Tensor> optim = new LinkedHashMap<>();
            Tensor rng = null;
            for (String k : f.keys()) {
                Tensor t = f.tensor(k).clone();
                if (k.startsWith("param/")) params.put(k.substring(6), t);
                else if (k.startsWith("optim/")) optim.put(k.substring(6), t);
                else if (k.equals("rng/train")) rng = t;
            }
            if (rng == null) throw new IllegalArgumentException(file + " lacks the random generator state");
            return new State(Integer.parseInt(meta.get("step")), params, optim,
                    Long.parseLong(meta.get("optimizer_steps")), rng, meta.getOrDefault("config_digest", ""));
        }
    }

    /** The finished checkpoints of a run, oldest first. */
    public static List<Path> list(Path output) throws IOException {
        Path root = output.resolve("checkpoints");
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p.resolve(STATE))) out.add(p);
            }
        }
        out.sort(Comparator.comparingInt(Checkpoints::stepOf));
        return out;
    }

    /** The newest finished checkpoint, or null. */
    public static Path latest(Path output) throws IOException {
        List<Path> all = list(output);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    static int stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Deletes the oldest checkpoints so at most {@code keep} remain (0 keeps all). */
    public static void prune(Path output, int keep) throws IOException {
        if (keep <= 0) return;
        List<Path> all = list(output);
        for (int i = 0; i < all.size() - keep; i++) deleteTree(all.get(i));
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path q : paths) Files.deleteIfExists(q);
        }
    }

    /** An I/O callback. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }

    /** Restores trained tensors and optimiser state from {@code s} into a prepared model. */
    public static void restore(State s, TrainableModel tm, AdamW opt, Rng rng, String source) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : tm.parameters().entrySet()) {
                Tensor t = s.params().get(e.getKey());
                if (t == null) throw new IllegalArgumentException(source + " lacks trained tensor " + e.getKey());
                if (!java.util.Arrays.equals(Tensors.shape(t), Tensors.shape(e.getValue()))) {
                    throw new IllegalArgumentException(source + ": " + e.getKey() + " has another shape than this model's");
                }
                e.getValue().copy_(t);
            }
        }
        opt.load(s.optimizer(), s.optimizerSteps(), source);
        rng.setState(s.rngState());
    }
}
