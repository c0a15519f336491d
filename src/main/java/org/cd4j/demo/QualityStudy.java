package org.cd4j.demo;

import org.cd4j.concept.TrainListener;
import org.cd4j.concept.compress.DeltaCompressor;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.merge.ConceptMerger;
import org.cd4j.concept.merge.MergeFiles;
import org.cd4j.io.AtomicFiles;
import org.cd4j.judge.Estimate;
import org.cd4j.judge.QualityMetrics;
import org.cd4j.world.Captions;
import org.cd4j.world.Concept;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The quality table of docs/QUALITY.md: every method on every held-out concept of the world, with
 * the same prompts, seeds and judge — the base model, Custom Diffusion (one concept), the two
 * naive baselines of the paper (all UNet weights; only the token), two concepts trained jointly,
 * two trained apart and merged, and a compressed Custom Diffusion delta.
 *
 * @param model  the base model
 * @param output a folder for the fine-tunes and the table
 * @param steps  fine-tuning steps of every method
 * @param seed   seed of training and sampling
 * @param seeds  pictures per prompt
 */
public record QualityStudy(Path model, Path output, int steps, long seed, int seeds) {
    /** Concept pairs for joint training and merging. */
    static final List<List<Concept>> PAIRS = List.of(List.of(Concept.ZIGZAG_CUP, Concept.CHECKED_BALL),
            List.of(Concept.DOME_HOUSE, Concept.GIFT_BOX));
    /**
     * Plain-category pictures per method and concept: the kernel distance to real pictures needs
     * more than the context prompts' handful (its standard error halves from 8 to 32).
     */
    static final int PRIOR_PICTURES = 32;
    /** Pictures per prompt of the base model's {@link AttributeReadout}. */
    static final int READOUT_PICTURES = 16;
    static final String BASE = "base model (no fine-tuning)", CD = "Custom Diffusion (K/V + token)",
            TOKEN = "token only (baseline)", FULL = "all UNet weights (baseline)", JOINT = "Custom Diffusion, 2 concepts joint",
            MERGED = "Custom Diffusion, 2 concepts merged", COMPRESSED = "Custom Diffusion, compressed (ratio 0.6)";

    /** Runs everything; returns method → concept → scores and writes {@code quality.md}. */
    public Map<String, Map<Concept, ConceptEvaluation>> run(Consumer<String> log) throws IOException {
        Files.createDirectories(output);
        Path data = output.resolve("data");
        QualityMetrics judge = QualityMetrics.shipped();
        Sampling sampling = Sampling.defaults();
        Map<String, Map<Concept, ConceptEvaluation>> table = new LinkedHashMap<>();
        for (String m : List.of(BASE, CD, TOKEN, FULL, JOINT, MERGED, COMPRESSED)) table.put(m, new LinkedHashMap<>());

        Map<Concept, WorldConceptData> concepts = new LinkedHashMap<>();
        Map<Concept, Path> cdDeltas = new LinkedHashMap<>();
        for (Concept c : Concept.values()) {
            WorldConceptData d = WorldConceptData.prepare(c, data, seed);
            concepts.put(c, d);
            log.accept("base model on " + c.name());
            table.get(BASE).put(c, ConceptEvaluation.run(Sampling.load(model, List.of()), sampling, judge, c, null, seeds, seed, PRIOR_PICTURES));
            for (String[] m : new String[][]{{CD, "crossattn_kv"}, {TOKEN, "all"}, {FULL, "none"}}) {
                Path dir = output.resolve(m[1] + "-" + c.name().toLowerCase(Locale.ROOT));
                log.accept(m[0] + " on " + c.name());
                Path delta = new FineTune(steps, 4, FineTune.learningRate(m[1]), m[1], false, seed).run(model, List.of(d), dir, TrainListener.NONE);
                if (m[1].equals("crossattn_kv")) cdDeltas.put(c, delta);
                table.get(m[0]).put(c, ConceptEvaluation.run(Sampling.load(model, List.of(delta)), sampling, judge, c, "<new1>", seeds, seed, PRIOR_PICTURES));
            }
            Path compressed = output.resolve("compressed-" + c.name().toLowerCase(Locale.ROOT) + ".cd4j.safetensors");
            try (BaseModel base = BaseModel.open(model)) {
                var loaded = DeltaFiles.load(cdDeltas.get(c), base).delta();
                var r = DeltaCompressor.compress(loaded, base, DeltaCompressor.Options.defaults(), cdDeltas.get(c).toString());
                DeltaFiles.save(r.delta(), DeltaFormat.CD4J, compressed, base, true);
            }
            table.get(COMPRESSED).put(c, ConceptEvaluation.run(Sampling.load(model, List.of(compressed)), sampling, judge, c, "<new1>", seeds, seed, PRIOR_PICTURES));
        }

        Path regCaptions = data.resolve("reg-captions.txt");
        Demo.writeRegCaptions(regCaptions, seed);
        log.accept("which named attributes the base model draws");
        AttributeReadout readout = AttributeReadout.measure(Sampling.load(model, List.of()), sampling, judge, READOUT_PICTURES, seed);

        for (List<Concept> pair : PAIRS) {
            String name = pair.get(0).name().toLowerCase(Locale.ROOT) + "+" + pair.get(1).name().toLowerCase(Locale.ROOT);
            log.accept("joint training of " + name);
            Path joint = new FineTune(steps, 4, FineTune.learningRate("crossattn_kv"), "crossattn_kv", false, seed)
                    .run(model, List.of(concepts.get(pair.get(0)), concepts.get(pair.get(1))), output.resolve("joint-" + name), TrainListener.NONE);
            log.accept("merging " + name);
            ConceptMerger.Result merged = MergeFiles.merge(model, List.of(cdDeltas.get(pair.get(0)), cdDeltas.get(pair.get(1))),
                    pair.get(0).category().word() + "+" + pair.get(1).category().word(), regCaptions, log);
            Path mergedFile = output.resolve("merged-" + name + ".cd4j.safetensors");
            try (BaseModel base = BaseModel.open(model)) {
                DeltaFiles.save(merged.delta(), DeltaFormat.CD4J, mergedFile, base, true);
            }
            for (int i = 0; i < 2; i++) {
                Concept c = pair.get(i);
                String token = "<new" + (i + 1) + ">";
                table.get(JOINT).put(c, ConceptEvaluation.run(Sampling.load(model, List.of(joint)), sampling, judge, c, token, seeds, seed, PRIOR_PICTURES));
                table.get(MERGED).put(c, ConceptEvaluation.run(Sampling.load(model, List.of(mergedFile)), sampling, judge, c, token, seeds, seed, PRIOR_PICTURES));
            }
        }
        // what fine-tuning did to the category: against the base model's pictures, and against real ones
        Map<String, Map<Concept, Estimate>> drift = new LinkedHashMap<>(), kid = new LinkedHashMap<>();
        table.forEach((method, byConcept) -> {
            Map<Concept, Estimate> d = new LinkedHashMap<>(), k = new LinkedHashMap<>();
            byConcept.forEach((c, e) -> {
                d.put(c, judge.priorDrift(e.priorImages(), table.get(BASE).get(c).priorImages()));
                k.put(c, judge.priorKernelDistance(e.priorImages(), c.category()));
            });
            drift.put(method, d);
            kid.put(method, k);
        });
        write(table, drift, kid, readout);
        return table;
    }

    private void write(Map<String, Map<Concept, ConceptEvaluation>> table, Map<String, Map<Concept, Estimate>> drift,
                       Map<String, Map<Concept, Estimate>> kid, AttributeReadout readout) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Fine-tuning: %d steps per method, seed %d; %d pictures per context prompt, %d of"
                + " the plain category; %s.%n%n", steps, seed, seeds, PRIOR_PICTURES, Sampling.defaults()));
        md.append("| method | image alignment (P concept) | image alignment (similarity) | text alignment | prior preservation"
                + " | prior drift (paired, lower is better) | forgetting: KID to real pictures (lower is better) |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Map.Entry<String, Map<Concept, ConceptEvaluation>> m : table.entrySet()) {
            List<ConceptEvaluation> all = new ArrayList<>(m.getValue().values());
            md.append("| ").append(m.getKey()).append(" | ").append(pooled(all, ConceptEvaluation::imageProbability))
                    .append(" | ").append(pooled(all, ConceptEvaluation::imageSimilarity))
                    .append(" | ").append(pooled(all, ConceptEvaluation::textAlignment))
                    .append(" | ").append(pooled(all, ConceptEvaluation::priorPreservation))
                    .append(" | ").append(pooled(new ArrayList<>(drift.get(m.getKey()).values())))
                    .append(" | ").append(meanOfConcepts(new ArrayList<>(kid.get(m.getKey()).values()))).append(" |\n");
        }
        md.append("\nPer concept (image alignment P / image alignment similarity / text alignment / prior preservation / prior drift / KID):\n\n| method |");
        for (Concept c : Concept.values()) md.append(' ').append(c.name()).append(" |");
        md.append("\n| --- |");
        for (Concept ignored : Concept.values()) md.append(" --- |");
        md.append('\n');
        for (Map.Entry<String, Map<Concept, ConceptEvaluation>> m : table.entrySet()) {
            md.append("| ").append(m.getKey()).append(" |");
            for (Concept c : Concept.values()) {
                ConceptEvaluation e = m.getValue().get(c);
                md.append(e == null ? " – |" : String.format(Locale.ROOT, " %.2f / %.2f / %.2f / %.2f / %.3f / %.0f ± %.0f |",
                        e.imageProbability().mean(), e.imageSimilarity().mean(), e.textAlignment().mean(),
                        e.priorPreservation().mean(), drift.get(m.getKey()).get(c).mean(),
                        kid.get(m.getKey()).get(c).mean(), kid.get(m.getKey()).get(c).standardError()));
            }
            md.append('\n');
        }
        md.append(String.format(Locale.ROOT, "%nWhat the base model draws from text: %d prompts naming a category, colour,"
                + " pattern and pattern colour (\"%s\" …), %d pictures each; the share in which the judge reads each"
                + " named attribute (pattern at chance: 0.2).%n%n", AttributeReadout.asked().size(),
                Captions.text(AttributeReadout.asked().get(2)), READOUT_PICTURES));
        md.append("| category | colour | pattern | pattern colour |\n| --- | --- | --- | --- |\n").append(readout.row()).append('\n');
        byte[] bytes = md.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(output.resolve("quality.md"), true, out -> out.write(bytes));
    }

    /**
     * The mean of per-concept estimates that are not means over pictures (the kernel distance), with
     * the standard error of that mean from theirs (independent concepts).
     */
    private static String meanOfConcepts(List<Estimate> estimates) {
        double sum = 0, var = 0;
        for (Estimate x : estimates) {
            sum += x.mean();
            var += x.standardError() * x.standardError();
        }
        int k = estimates.size();
        return String.format(Locale.ROOT, "%.0f ± %.0f", sum / k, Math.sqrt(var) / k);
    }

    /** Mean ± standard error over the pictures of all concepts (each concept's estimate weighted by its count). */
    private static String pooled(List<ConceptEvaluation> evs, java.util.function.Function<ConceptEvaluation, Estimate> f) {
        return pooled(evs.stream().map(f).toList());
    }

    /** Mean ± standard error over all the pictures behind {@code estimates} (each weighted by its count). */
    private static String pooled(List<Estimate> estimates) {
        double sum = 0, var = 0;
        int n = 0;
        for (Estimate x : estimates) {
            sum += x.mean() * x.n();
            n += x.n();
        }
        double mean = sum / n;
        for (Estimate x : estimates) {
            // within-concept variance from the standard error, plus the spread of the concept means
            var += (x.standardError() * x.standardError() * x.n() * Math.max(1, x.n() - 1)) + x.n() * Math.pow(x.mean() - mean, 2);
        }
        double se = n > 1 ? Math.sqrt(var / (n - 1) / n) : 0;
        return String.format(Locale.ROOT, "%.3f ± %.3f", mean, se);
    }
}
