package org.cd4j.concept.merge;

import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.LoadedDelta;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The merge as the command line runs it ({@code cd4j merge}, {@code cd4j generate --merge}): read
 * the delta files (any supported format), find each one's category, read the regularisation
 * captions (or take the default set) and call {@link ConceptMerger}.
 */
public final class MergeFiles {
    private MergeFiles() {}

    /**
     * Merges the deltas at {@code files}, trained on the model in {@code modelDir}.
     *
     * @param categories  the {@code --categories} spec ({@link Categories}); null to take each
     *                    delta's category from its training metadata
     * @param regPrompts  the caption file; null for cd4j's default set
     * @param log         receives warnings and notes for the user
     * @throws Categories.CategoryException when categories are missing or do not fit (a usage error)
     * @throws IllegalArgumentException     for unusable inputs (the same file twice, another base model …)
     */
    public static ConceptMerger.Result merge(Path modelDir, List<Path> files, String categories, Path regPrompts,
                                             Consumer<String> log) throws IOException {
        checkDistinct(files);
        List<ConceptDelta> deltas = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        try (BaseModel base = BaseModel.open(modelDir)) {
            for (Path f : files) {
                LoadedDelta d = DeltaFiles.load(f, base);
                d.warnings().forEach(log);
                deltas.add(d.delta());
                sources.add(f.toString());
            }
        }
        List<List<String>> cats = categories != null ? Categories.parse(categories, deltas, sources) : fromMetadata(deltas, sources);
        List<MergeInput> inputs = new ArrayList<>();
        for (int i = 0; i < deltas.size(); i++) inputs.add(new MergeInput(deltas.get(i), sources.get(i), cats.get(i)));
        List<String> captions;
        if (regPrompts != null) {
            captions = RegCaptions.read(regPrompts);
        } else {
            captions = RegCaptions.defaults();
            log.accept("no --reg-prompts: using cd4j's default set of " + captions.size() + " regularisation captions");
        }
        ConceptMerger.Result r = ConceptMerger.merge(modelDir, inputs, captions, ConceptMerger.Options.defaults());
        r.report().warnings().forEach(log);
        return r;
    }

    /** The same file twice would be one concept constrained twice (and two tokens for it): refused. */
    private static void checkDistinct(List<Path> files) throws IOException {
        Map<Path, Path> seen = new HashMap<>();
        for (Path f : files) {
            Path real = Files.exists(f) ? f.toRealPath() : f.toAbsolutePath().normalize();
            Path other = seen.putIfAbsent(real, f);
            if (other != null) {
                throw new IllegalArgumentException("--delta " + f + " is given twice" + (other.equals(f) ? "" : " (also as "
                        + other + ")") + "; each concept can be merged once");
            }
        }
    }

    private static List<List<String>> fromMetadata(List<ConceptDelta> deltas, List<String> sources) {
        List<List<String>> out = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < deltas.size(); i++) {
            List<String> c = Categories.fromMetadata(deltas.get(i));
            if (c == null) unknown.add(sources.get(i));
            out.add(c);
        }
        if (!unknown.isEmpty()) {
            throw new Categories.CategoryException("no category is recorded for " + String.join(", ", unknown) + " (reference"
                    + " formats carry no training settings); pass --categories with each delta's class word, '+'-separated in"
                    + " --delta order, e.g. --categories \"wooden pot+cat\"");
        }
        return out;
    }
}
