package org.cd4j.demo;

import org.cd4j.judge.Estimate;
import org.cd4j.judge.Prediction;
import org.cd4j.judge.QualityMetrics;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.world.Captions;
import org.cd4j.world.Category;
import org.cd4j.world.Colour;
import org.cd4j.world.Mentions;
import org.cd4j.world.Pattern;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which words of the caption language a model draws: for prompts that name a category, a colour,
 * a painted pattern and the pattern's colour ("a photo of a red cup with a yellow zigzag"), the
 * share of pictures in which the judge reads each named attribute. A fine-tune of the key/value
 * projections routes a new token into features the model already draws from text, so an attribute
 * read here at chance is one Custom Diffusion cannot teach (docs/QUALITY.md).
 *
 * @param category      share of pictures read as the named category
 * @param colour        … with the named colour
 * @param pattern       … with the named pattern (chance: 1 in 5, the four patterns and plain)
 * @param patternColour … with the named pattern colour
 */
public record AttributeReadout(Estimate category, Estimate colour, Estimate pattern, Estimate patternColour) {
    /** Four categories, each with its own colour pair, times the four patterns: 16 prompts. */
    private static final Category[] CATEGORIES = {Category.CUP, Category.BALL, Category.BOX, Category.HOUSE};
    private static final Colour[][] COLOURS = {{Colour.RED, Colour.YELLOW}, {Colour.BLUE, Colour.WHITE},
            {Colour.GREEN, Colour.ORANGE}, {Colour.PURPLE, Colour.YELLOW}};
    private static final Pattern[] PATTERNS = {Pattern.DOTS, Pattern.STRIPES, Pattern.ZIGZAG, Pattern.CHECKS};

    /** What each prompt names, in prompt order. */
    public static List<Mentions> asked() {
        List<Mentions> out = new ArrayList<>();
        for (int c = 0; c < CATEGORIES.length; c++) {
            for (Pattern p : PATTERNS) {
                out.add(new Mentions(true, null, COLOURS[c][0], CATEGORIES[c], p, COLOURS[c][1], null));
            }
        }
        return out;
    }

    /** Generates {@code perPrompt} pictures (seeds {@code firstSeed, …}) of every prompt with {@code sd} and reads them. */
    public static AttributeReadout measure(StableDiffusion sd, Sampling sampling, QualityMetrics metrics, int perPrompt,
                                           long firstSeed) {
        List<BufferedImage> pictures = new ArrayList<>();
        List<Mentions> asked = new ArrayList<>();
        for (Mentions m : asked()) {
            pictures.addAll(sampling.generate(sd, Captions.text(m), firstSeed, perPrompt));
            for (int i = 0; i < perPrompt; i++) asked.add(m);
        }
        return of(metrics.judge().predict(pictures), asked);
    }

    /** The shares, from the judge's predictions and what each picture's prompt named. */
    public static AttributeReadout of(List<Prediction> predictions, List<Mentions> asked) {
        if (predictions.size() != asked.size() || predictions.isEmpty()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + asked.size() + " prompts");
        }
        List<Double> category = new ArrayList<>(), colour = new ArrayList<>(), pattern = new ArrayList<>(),
                patternColour = new ArrayList<>();
        for (int i = 0; i < predictions.size(); i++) {
            Prediction p = predictions.get(i);
            Mentions m = asked.get(i);
            category.add(p.category() == m.category() ? 1.0 : 0.0);
            colour.add(p.colour() == m.colour() ? 1.0 : 0.0);
            pattern.add(p.pattern() == m.pattern() ? 1.0 : 0.0);
            patternColour.add(p.patternColour() == m.patternColour() ? 1.0 : 0.0);
        }
        return new AttributeReadout(Estimate.of(category), Estimate.of(colour), Estimate.of(pattern), Estimate.of(patternColour));
    }

    /** A markdown table row: "| category | colour | pattern | pattern colour |" as mean ± standard error. */
    String row() {
        return String.format(Locale.ROOT, "| %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f |",
                category.mean(), category.standardError(), colour.mean(), colour.standardError(),
                pattern.mean(), pattern.standardError(), patternColour.mean(), patternColour.standardError());
    }
}
