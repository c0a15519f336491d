package org.cd4j.pretrain;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.AdamW;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.Module;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Everything a pretraining stage changes: the trained parameters of its modules (by prefixed
 * state-dict name), their AdamW moments, an exponential moving average of the weights (what is
 * shipped: it samples better than the last iterate) and the step. A checkpoint holds all of it,
 * so a resumed stage continues exactly where it stopped.
 */
final class StageState {
    private final String stage;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> ema = new LinkedHashMap<>();
    private final AdamW optimizer;
    private int step;

    /** @param modules prefix → module, e.g. {@code "unet" → unet}; every parameter is trained */
    StageState(String stage, Map<String, Module> modules, double weightDecay) {
        this.stage = stage;
        modules.forEach((prefix, m) -> m.namedParameters().forEach((k, t) -> {
            t.requires_grad_(true);
            params.put(prefix + "." + k, t);
        }));
        try (NoGradGuard g = new NoGradGuard()) {
            params.forEach((k, t) -> ema.put(k, t.detach().clone()));
        }
        this.optimizer = new AdamW(params, 0.9, 0.999, 1e-8, weightDecay);
    }

    Map<String, Tensor> params() {
        return params;
    }

    AdamW optimizer() {
        return optimizer;
    }

    int step() {
        return step;
    }

    /** Counts a finished optimisation step and moves the average towards the new weights. */
    void finishStep(double emaDecay) {
        step++;
        // the usual warm-up of the decay, so the average is not dominated by the random start
        double d = Math.min(emaDecay, (1.0 + step) / (10.0 + step));
        try (NoGradGuard g = new NoGradGuard()) {
            params.forEach((k, t) -> ema.get(k).lerp_(t, new Scalar(1 - d)));
        }
    }

    /** Starts the weight average afresh from the current weights (the decay's warm-up is not repeated). */
    void restartAverage() {
        try (NoGradGuard g = new NoGradGuard()) {
            params.forEach((k, t) -> ema.get(k).copy_(t));
        }
    }

    /** The averaged weights of one module, under its own (unprefixed) names. */
    Map<String, Tensor> averaged(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        ema.forEach((k, t) -> {
            if (k.startsWith(prefix + ".")) out.put(k.substring(prefix.length() + 1), t);
        });
        return out;
    }

    /** Writes {@code DIR/<stage>-<step>.safetensors} and keeps only the two newest of this stage. */
    void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> all = new LinkedHashMap<>();
        params.forEach((k, t) -> all.put("param/" + k, t.detach()));
        ema.forEach((k, t) -> all.put("ema/" + k, t));
        optimizer.state().forEach((k, t) -> all.put("adam/" + k, t));
        SafetensorsWriter.write(dir.resolve(stage + "-" + step + ".safetensors"), all,
                Map.of("stage", stage, "step", Integer.toString(step), "adam_steps", Long.toString(optimizer.steps())));
        List<Path> old = list(dir);
        for (int i = 0; i + 2 < old.size(); i++) Files.deleteIfExists(old.get(i));
    }

    /** Restores the newest checkpoint of this stage in {@code dir}, if any; returns whether one was found. */
    boolean restoreLatest(Path dir) throws IOException {
        List<Path> all = list(dir);
        if (all.isEmpty()) return false;
        Path file = all.get(all.size() - 1);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> adam = new LinkedHashMap<>();
            try (NoGradGuard g = new NoGradGuard()) {
                for (Map.Entry<String, Tensor> e : params.entrySet()) {
                    e.getValue().copy_(require(f, "param/" + e.getKey()));
                    ema.get(e.getKey()).copy_(require(f, "ema/" + e.getKey()));
                }
                for (String k : f.keys()) if (k.startsWith("adam/")) adam.put(k.substring(5), f.tensor(k).clone());
            }
            optimizer.load(adam, Long.parseLong(f.metadata().get("adam_steps")), file.toString());
            step = Integer.parseInt(f.metadata().get("step"));
        }
        return true;
    }

    /** The step of the newest checkpoint of {@code stage} in {@code dir}, or -1. */
    static int latestStep(Path dir, String stage) throws IOException {
        List<Path> all = new StageState(stage).list(dir);
        if (all.isEmpty()) return -1;
        String n = all.get(all.size() - 1).getFileName().toString();
        return Integer.parseInt(n.substring(stage.length() + 1, n.length() - 12));
    }

    /** Only for listing checkpoints. */
    private StageState(String stage) {
        this.stage = stage;
        this.optimizer = null;
    }

    private static Tensor require(SafetensorsFile f, String key) {
        if (!f.contains(key)) throw new IllegalArgumentException(f.path() + " lacks " + key + " (a checkpoint of another model?)");
        return f.tensor(key);
    }

    private List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        String prefix = stage + "-";
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = new ArrayList<>(s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(".safetensors")
                        && n.substring(prefix.length(), n.length() - 12).matches("\\d+");
            }).toList());
            out.sort(Comparator.comparingInt(p -> {
                String n = p.getFileName().toString();
                return Integer.parseInt(n.substring(prefix.length(), n.length() - 12));
            }));
            return out;
        }
    }
}
