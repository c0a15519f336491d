package org.cd4j.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.TrainConfig;
import org.cd4j.concept.TrainListener;
import org.cd4j.concept.Trainer;
import org.cd4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Custom Diffusion runs on the mini model with the settings the demo and the quality study use:
 * one or several world concepts (several = joint training), prior preservation on real category
 * pictures, the reference's augmentation, a constant learning rate, and the chosen
 * {@code --freeze-model} mode.
 *
 * @param steps         optimisation steps
 * @param batchSize     instance pictures per step (as many class pictures again)
 * @param learningRate  constant learning rate (the mini model needs a larger one than SD's 1e-5)
 * @param freezeModel   crossattn_kv (Custom Diffusion), crossattn, or a baseline mode
 * @param augment       the reference's random rescaling of instance pictures ("far away", "zoomed in")
 * @param seed          training seed
 */
public record FineTune(int steps, int batchSize, double learningRate, String freezeModel, boolean augment, long seed) {
    /**
     * The demo's settings: Custom Diffusion as in the paper (key/value projections and the token),
     * at the learning rate the mini model needs, without the reference's rescaling augmentation.
     * Measured on ZIGZAG_CUP, 300 steps (docs/QUALITY.md): 5e-3 moves the judge's embedding
     * similarity from 0.74 to 0.85, 1e-3 leaves it at 0.74; the augmentation costs 0.07 — it shrinks
     * the 64-pixel pictures to a third and adds "far away"/"zoomed in", words the mini model never saw.
     */
    public static FineTune customDiffusion(int steps, long seed) {
        return new FineTune(steps, 4, learningRate("crossattn_kv"), "crossattn_kv", false, seed);
    }

    /**
     * The learning rate of each {@code --freeze-model} mode on the mini model: each method's best
     * of the rates tried (docs/QUALITY.md), so the comparison is between methods, not settings.
     */
    public static double learningRate(String freezeModel) {
        return switch (freezeModel) {
            case "none" -> 1e-4;   // every UNet weight: 1e-3 wrecks the prior within 300 steps
            case "all" -> 2e-2;    // the token alone: it has to carry everything through the frozen text encoder
            default -> 5e-3;       // crossattn_kv, crossattn
        };
    }

    /** Trains {@code concepts} (tokens {@code <new1>, <new2> …} in order) into {@code output}; returns the delta. */
    public Path run(Path model, List<WorldConceptData> concepts, Path output, TrainListener listener) throws IOException {
        List<String> tokens = new ArrayList<>();
        List<String> inits = new ArrayList<>();
        for (int i = 0; i < concepts.size(); i++) {
            tokens.add("<new" + (i + 1) + ">");
            inits.add(INITIALIZERS.get(i % INITIALIZERS.size()));
        }
        TrainConfig cfg;
        if (concepts.size() == 1) {
            WorldConceptData c = concepts.get(0);
            cfg = config(model, output, c.instanceDir().toString(), c.instancePrompt(tokens.get(0)), c.classDir().toString(),
                    c.classPrompt(), null, tokens, inits);
        } else {
            Path list = output.resolveSibling(output.getFileName() + "-concepts.json"); // beside: the trainer wants a fresh output folder
            ArrayNode arr = TrainConfig.json().createArrayNode();
            for (int i = 0; i < concepts.size(); i++) {
                WorldConceptData c = concepts.get(i);
                ObjectNode o = arr.addObject();
                o.put("instance_prompt", c.instancePrompt(tokens.get(i)));
                o.put("class_prompt", c.classPrompt());
                o.put("instance_data_dir", c.instanceDir().toString());
                o.put("class_data_dir", c.classDir().toString());
            }
            byte[] bytes = TrainConfig.json().writeValueAsBytes(arr);
            AtomicFiles.write(list, true, out -> out.write(bytes));
            cfg = config(model, output, null, null, null, null, list.toString(), tokens, inits);
        }
        return new Trainer(cfg, listener).run(null).delta();
    }

    /** Rare single-token words to start the modifier embeddings from (the reference's "ktn", "pll" …). */
    static final List<String> INITIALIZERS = List.of("ktn", "pll", "ucd", "mwr");

    private TrainConfig config(Path model, Path output, String instanceDir, String instancePrompt, String classDir,
                               String classPrompt, String conceptsList, List<String> tokens, List<String> inits) {
        return new TrainConfig(model.toString(), output.toString(), instanceDir, instancePrompt, classDir, classPrompt,
                conceptsList, String.join("+", tokens), String.join("+", inits),
                true, false, 1.0, WorldConceptData.PRIOR, 4, 25,
                64, batchSize, learningRate, false, "constant", 0, steps,
                false, !augment, false, freezeModel, seed, 0, 0,
                null, 1, 1, 1,
                1.0, 0.9, 0.999, 1e-2, 1e-8,
                "no", false, "refuse", false);
    }
}
