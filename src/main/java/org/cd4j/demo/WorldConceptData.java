package org.cd4j.demo;

import org.cd4j.world.Captions;
import org.cd4j.world.Concept;
import org.cd4j.world.World;
import org.cd4j.world.WorldExport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A world concept laid out as a user's training data: its views (the pictures a user would take)
 * and real pictures of its category as the regularisation set — the world's stand-in for the
 * reference's retrieved LAION images — with the prompts Custom Diffusion trains on.
 *
 * @param concept      the held-out concept
 * @param instanceDir  {@code views} pictures of it
 * @param classDir     pictures of ordinary members of its category
 * @param classPrompt  "a photo of a cup"
 */
public record WorldConceptData(Concept concept, Path instanceDir, Path classDir, String classPrompt) {
    /** Views per concept (the paper uses 4–20 pictures). */
    public static final int VIEWS = 10;
    /** Regularisation pictures per category. */
    public static final int PRIOR = 100;

    /** Writes (or reuses, when already complete) the data of {@code concept} under {@code root}. */
    public static WorldConceptData prepare(Concept concept, Path root, long seed) throws IOException {
        String name = concept.name().toLowerCase(java.util.Locale.ROOT);
        Path instance = root.resolve(name);
        Path prior = root.resolve("prior-" + concept.category().word());
        if (!complete(instance, VIEWS)) WorldExport.writeConcept(concept, instance, VIEWS, true);
        if (!complete(prior, PRIOR)) WorldExport.writePrior(new World(seed), concept.category(), prior, PRIOR, seed, true);
        return new WorldConceptData(concept, instance, prior, Captions.categoryPrompt(concept.category()));
    }

    /** The prompt that names the concept by {@code token}: "a photo of a &lt;new1&gt; cup". */
    public String instancePrompt(String token) {
        return classPrompt.replace(" " + concept.category().word(), " " + token + " " + concept.category().word());
    }

    private static boolean complete(Path dir, int n) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".png")).count() == n;
        }
    }
}
