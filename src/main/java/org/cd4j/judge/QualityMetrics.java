package org.cd4j.judge;

import org.cd4j.world.Captions;
import org.cd4j.world.Category;
import org.cd4j.world.Concept;
import org.cd4j.world.Mentions;
import org.cd4j.world.Sample;
import org.cd4j.world.World;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The paper's three quality measures, on the world, with the {@link Judge} in the place of CLIP
 * and DINO. Each returns the mean over the pictures and its standard error ({@link Estimate}).
 *
 * <ul>
 *   <li><b>Text alignment</b>: per picture, the share of the attributes its prompt mentions
 *       (category, and size, colour, pattern, pattern colour, background when named) that the
 *       judge reads in it (most probable class). Modifier tokens ({@code <new1>}) are dropped
 *       from the prompt first, so "a photo of a &lt;new1&gt; cup on grass" asks for a cup on grass.</li>
 *   <li><b>Image alignment</b> with a concept: the judge's probability that the picture shows the
 *       concept, and the cosine similarity of its embedding to those of the concept's real views
 *       (by default {@link Concept#views} of {@value #REFERENCE_VIEWS}, the pictures a user trains
 *       on), averaged over the views.</li>
 *   <li><b>Prior preservation</b> for a category prompt without the token ("a photo of a cup"):
 *       per picture, 1 if the judge reads the category, times {@code 1 − P(concept)} — high when
 *       the model still draws ordinary cups, low when every cup became the concept (or no cup).
 *       Compare with the base model's value on the same prompt.</li>
 *   <li><b>Forgetting</b>, as the paper measures it: the {@link KernelDistance} (KID) between the
 *       judge's embeddings of plain-category pictures and those of {@value #REAL_PICTURES} real
 *       pictures of the category, lower is better.</li>
 * </ul>
 */
public final class QualityMetrics {
    /** Views of a concept its image alignment compares with. */
    public static final int REFERENCE_VIEWS = 12;
    /** Real pictures of a category that plain-category pictures are compared with for forgetting. */
    public static final int REAL_PICTURES = 200;
    /**
     * Seeds of those real pictures: a draw of world 0 that no prior set of the demo or the study
     * trains on (theirs is drawn with the training seed, 0 by default).
     */
    static final long REAL_WORLD_SEED = 0, REAL_SEED = 0x5EA1_0000L;
    /** A modifier token and the space after it. */
    private static final Pattern MODIFIER = Pattern.compile("<[^<>\\s]+>\\s*");
    /** An article and the first letter of the word after it. */
    private static final Pattern ARTICLE = Pattern.compile("\\b(a|an) ([a-z])");

    private final Judge judge;
    private final Map<Concept, List<float[]>> references = new EnumMap<>(Concept.class);
    private final Map<Category, List<float[]>> realPictures = new EnumMap<>(Category.class);

    public QualityMetrics(Judge judge) {
        this.judge = judge;
    }

    /** With the judge shipped in cd4j. */
    public static QualityMetrics shipped() throws IOException {
        return new QualityMetrics(Judge.load());
    }

    public Judge judge() {
        return judge;
    }

    /** Image alignment: the judge's concept probability and the embedding similarity to the concept's views. */
    public record ImageAlignment(Estimate conceptProbability, Estimate embeddingSimilarity) {}

    /** Text alignment of pictures with their prompts ({@code prompts.get(i)} made {@code images.get(i)}). */
    public Estimate textAlignment(List<BufferedImage> images, List<String> prompts) {
        if (images.size() != prompts.size()) {
            throw new IllegalArgumentException(images.size() + " pictures but " + prompts.size() + " prompts");
        }
        List<Mentions> asked = new ArrayList<>(prompts.size());
        for (String p : prompts) asked.add(mentionsOf(p));
        return textAlignmentOf(judge.predict(images), asked);
    }

    /** Text alignment of pictures all made with one prompt. */
    public Estimate textAlignment(List<BufferedImage> images, String prompt) {
        return textAlignmentOf(judge.predict(images), java.util.Collections.nCopies(images.size(), mentionsOf(prompt)));
    }

    /** Text alignment from predictions and what each prompt asked for. */
    public static Estimate textAlignmentOf(List<Prediction> predictions, List<Mentions> asked) {
        if (predictions.size() != asked.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions but " + asked.size() + " prompts");
        }
        List<Double> scores = new ArrayList<>(predictions.size());
        for (int i = 0; i < predictions.size(); i++) scores.add(attributeShare(predictions.get(i), asked.get(i)));
        return Estimate.of(scores);
    }

    /** The share of the attributes {@code m} names that {@code p} reads in the picture. */
    public static double attributeShare(Prediction p, Mentions m) {
        int named = 1, seen = p.category() == m.category() ? 1 : 0;
        if (m.size() != null) { named++; if (p.size() == m.size()) seen++; }
        if (m.colour() != null) { named++; if (p.colour() == m.colour()) seen++; }
        if (m.pattern() != null) { named++; if (p.pattern() == m.pattern()) seen++; }
        if (m.patternColour() != null) { named++; if (p.patternColour() == m.patternColour()) seen++; }
        if (m.background() != null) { named++; if (p.background() == m.background()) seen++; }
        return (double) seen / named;
    }

    /** Image alignment with {@code concept}, against its {@value #REFERENCE_VIEWS} views. */
    public ImageAlignment imageAlignment(List<BufferedImage> images, Concept concept) {
        List<float[]> refs = references.computeIfAbsent(concept, c -> {
            List<BufferedImage> views = new ArrayList<>();
            for (Sample s : c.views(REFERENCE_VIEWS)) views.add(s.image());
            return embeddings(judge.predict(views));
        });
        return imageAlignmentOf(judge.predict(images), concept, refs);
    }

    /** Image alignment with {@code concept}, against the given real pictures of it. */
    public ImageAlignment imageAlignment(List<BufferedImage> images, Concept concept, List<BufferedImage> referenceImages) {
        return imageAlignmentOf(judge.predict(images), concept, embeddings(judge.predict(referenceImages)));
    }

    /** Image alignment from predictions and reference embeddings. */
    public static ImageAlignment imageAlignmentOf(List<Prediction> predictions, Concept concept, List<float[]> referenceEmbeddings) {
        if (referenceEmbeddings.isEmpty()) throw new IllegalArgumentException("no reference pictures of " + concept);
        List<Double> prob = new ArrayList<>(predictions.size()), sim = new ArrayList<>(predictions.size());
        for (Prediction p : predictions) {
            prob.add(p.probability(concept));
            double s = 0;
            for (float[] r : referenceEmbeddings) s += Prediction.cosine(p.embedding(), r);
            sim.add(s / referenceEmbeddings.size());
        }
        return new ImageAlignment(Estimate.of(prob), Estimate.of(sim));
    }

    /** Prior preservation of pictures made from {@code category}'s prompt without the token of {@code concept}. */
    public Estimate priorPreservation(List<BufferedImage> images, Category category, Concept concept) {
        return priorPreservationOf(judge.predict(images), category, concept);
    }

    /** Prior preservation from predictions. */
    public static Estimate priorPreservationOf(List<Prediction> predictions, Category category, Concept concept) {
        List<Double> scores = new ArrayList<>(predictions.size());
        for (Prediction p : predictions) scores.add(p.category() == category ? 1 - p.probability(concept) : 0.0);
        return Estimate.of(scores);
    }

    /**
     * Forgetting, the paper's way: the kernel distance (KID, {@link KernelDistance}) between
     * pictures made from {@code category}'s plain prompt and {@value #REAL_PICTURES} real pictures
     * of the category. Unlike {@link #priorDrift} it does not count as harm a move towards real
     * pictures (which the prior-preservation loss on real pictures asks for), only a move away
     * from them: towards the concept, or away from anything the category looks like.
     */
    public Estimate priorKernelDistance(List<BufferedImage> images, Category category) {
        List<float[]> real = realPictures.computeIfAbsent(category, c -> {
            List<BufferedImage> pictures = new ArrayList<>(REAL_PICTURES);
            for (Sample s : new World(REAL_WORLD_SEED).priorSamples(c, REAL_PICTURES, REAL_SEED)) pictures.add(s.image());
            return embeddings(judge.predict(pictures));
        });
        return KernelDistance.of(embeddings(judge.predict(images)), real);
    }

    /**
     * Prior drift: how far plain-category pictures moved from the base model's, picture by
     * picture. {@code images} and {@code baseImages} come from the same prompt and seeds (so the
     * same initial noise); each pair scores 1 − the cosine similarity of the judge's embeddings,
     * 0 when fine-tuning left the picture as it was. Paired, it resolves differences that the
     * share of pictures still showing the category cannot with a few dozen pictures.
     */
    public Estimate priorDrift(List<BufferedImage> images, List<BufferedImage> baseImages) {
        if (images.size() != baseImages.size() || images.isEmpty()) {
            throw new IllegalArgumentException("prior drift pairs pictures seed by seed: got " + images.size()
                    + " pictures against " + baseImages.size() + " of the base model");
        }
        return priorDriftOf(judge.predict(images), judge.predict(baseImages));
    }

    /** Prior drift from paired predictions (see {@link #priorDrift}). */
    public static Estimate priorDriftOf(List<Prediction> predictions, List<Prediction> base) {
        List<Double> scores = new ArrayList<>(predictions.size());
        for (int i = 0; i < predictions.size(); i++) scores.add(1 - Prediction.cosine(predictions.get(i).embedding(), base.get(i).embedding()));
        return Estimate.of(scores);
    }

    /**
     * What a prompt asks for: the world caption it is once modifier tokens are dropped (and an
     * article the dropped token stood behind is corrected: "a &lt;new1&gt; orange cup" → "an orange cup").
     *
     * @throws IllegalArgumentException naming the prompt when it is not in the world's caption language
     */
    public static Mentions mentionsOf(String prompt) {
        String s = MODIFIER.matcher(prompt).replaceAll("").trim().replaceAll("\\s+", " ");
        s = ARTICLE.matcher(s).replaceAll(m -> ("aeiou".indexOf(m.group(2).charAt(0)) >= 0 ? "an " : "a ") + m.group(2));
        try {
            return Captions.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("prompt \"" + prompt + "\" is not a caption of the world"
                    + (s.equals(prompt) ? "" : " (without its modifier tokens: \"" + s + "\")")
                    + "; the judge scores prompts like \"a photo of a small red cup with yellow dots on grass\"", e);
        }
    }

    private static List<float[]> embeddings(List<Prediction> predictions) {
        List<float[]> out = new ArrayList<>(predictions.size());
        for (Prediction p : predictions) out.add(p.embedding());
        return out;
    }
}
