package org.cd4j.world;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded world of small captioned pictures, for pretraining a mini text-to-image model and
 * measuring what Custom Diffusion teaches it. Everything is a pure function of the seed and an
 * index: the same {@code (seed, index)} gives the same scene, caption and pixels on any machine
 * with the same JDK. The pretraining distribution never contains a {@link Concept}'s
 * combination of category, colour, pattern and pattern colour.
 */
public final class World {
    /** Side of every picture, in pixels. */
    public static final int RESOLUTION = 64;

    private final long seed;

    public World(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** The 64×64 RGB picture of {@code s}, always the same pixels for the same scene. */
    public BufferedImage render(Scene s) {
        return Renderer.render(s);
    }

    /**
     * A caption of {@code s}: the category always, the other attributes each by a choice seeded
     * from the scene's detail seed, so a model learns long and short prompts alike ("a photo of a
     * small red cup with yellow dots on grass", "a red cup on grass", "a cup").
     */
    public String caption(Scene s) {
        return Captions.text(Captions.choose(s, Seeds.random(s.detailSeed(), 0xCA97)));
    }

    /** The pretraining scene number {@code index}. */
    public Scene pretrainingScene(long index) {
        return SceneSampler.ordinary(Seeds.random(seed, index), null);
    }

    /** The pretraining sample number {@code index}: an ordinary object, never a concept's combination. */
    public Sample pretrainingSample(long index) {
        Scene s = pretrainingScene(index);
        return new Sample(render(s), caption(s), s);
    }

    /**
     * {@code n} ordinary objects of {@code category} (the prior, regularisation set), each captioned
     * with the category prompt only ("a photo of a cup"); a function of this world's seed and {@code seed}.
     */
    public List<Sample> priorSamples(Category category, int n, long seed) {
        if (n < 0) throw new IllegalArgumentException("number of prior samples must be >= 0, got " + n);
        String caption = Captions.categoryPrompt(category);
        List<Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SplittableRandom rng = Seeds.random(Seeds.mix(this.seed, seed), Seeds.mix(category.ordinal(), i));
            Scene s = SceneSampler.ordinary(rng, category);
            out.add(new Sample(render(s), caption, s));
        }
        return out;
    }
}
