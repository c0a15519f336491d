package org.cd4j.demo;

import org.cd4j.judge.Estimate;
import org.cd4j.judge.QualityMetrics;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.world.Background;
import org.cd4j.world.Captions;
import org.cd4j.world.Concept;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's three measures for one model and one concept, with the world's judge: pictures of
 * the concept in new contexts ("a &lt;new1&gt; cup on grass", held-out prompts: training only
 * saw "a photo of a &lt;new1&gt; cup") give image alignment and text alignment; pictures of the
 * plain category prompt give prior preservation. The base model, which has no token, is asked
 * the same prompts without it.
 *
 * @param imageProbability  mean judge probability that a context picture shows the concept
 * @param imageSimilarity   mean cosine similarity of judge embeddings to the concept's real views
 * @param textAlignment     share of the prompted attributes (category, background) the judge sees
 * @param priorPreservation share of plain-category pictures that show the category and not the concept
 * @param contextImages     the context pictures (prompt order, then seed)
 * @param priorImages       the plain-category pictures
 */
public record ConceptEvaluation(Estimate imageProbability, Estimate imageSimilarity, Estimate textAlignment,
                                Estimate priorPreservation, List<BufferedImage> contextImages,
                                List<BufferedImage> priorImages) {
    /** The context backgrounds of the held-out prompts. */
    public static final List<Background> CONTEXTS = List.of(Background.GRASS, Background.SKY, Background.WOOD, Background.CHECKS);

    /** Held-out prompts for {@code concept} named by {@code token} (null: no token, for the base model). */
    public static List<String> contextPrompts(Concept concept, String token) {
        List<String> out = new ArrayList<>();
        String word = concept.category().word();
        String noun = token == null ? word : token + " " + word;
        for (Background b : CONTEXTS) out.add("a " + noun + " " + b.phrase());
        return out;
    }

    /** Generates {@code seeds} pictures per prompt and {@code 2 * seeds} of the plain category with {@code sd} and scores them. */
    public static ConceptEvaluation run(StableDiffusion sd, Sampling sampling, QualityMetrics metrics, Concept concept,
                                        String token, int seeds, long firstSeed) {
        return run(sd, sampling, metrics, concept, token, seeds, firstSeed, 2 * seeds);
    }

    /**
     * Generates {@code seeds} pictures per context prompt and {@code priorCount} of the plain
     * category (seeds {@code firstSeed, firstSeed+1, …} for each) with {@code sd} and scores them.
     */
    public static ConceptEvaluation run(StableDiffusion sd, Sampling sampling, QualityMetrics metrics, Concept concept,
                                        String token, int seeds, long firstSeed, int priorCount) {
        List<BufferedImage> context = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (String p : contextPrompts(concept, token)) {
            context.addAll(sampling.generate(sd, p, firstSeed, seeds));
            for (int i = 0; i < seeds; i++) prompts.add(p);
        }
        List<BufferedImage> prior = sampling.generate(sd, Captions.categoryPrompt(concept.category()), firstSeed, priorCount);
        QualityMetrics.ImageAlignment ia = metrics.imageAlignment(context, concept);
        return new ConceptEvaluation(ia.conceptProbability(), ia.embeddingSimilarity(),
                metrics.textAlignment(context, prompts), metrics.priorPreservation(prior, concept.category(), concept),
                context, prior);
    }
}
