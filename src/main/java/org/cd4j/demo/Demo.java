package org.cd4j.demo;

import org.cd4j.concept.TrainListener;
import org.cd4j.concept.compress.DeltaCompressor;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.cd4j.concept.merge.ConceptMerger;
import org.cd4j.concept.merge.MergeFiles;
import org.cd4j.io.AtomicFiles;
import org.cd4j.judge.QualityMetrics;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.world.Captions;
import org.cd4j.world.Concept;
import org.cd4j.world.World;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code cd4j demo}: the whole method on the mini model, offline, in minutes — fine-tune a first
 * concept with Custom Diffusion, then a second one separately, merge them in closed form,
 * compress the merge, generate the plain category, each concept in new contexts and both
 * together, score everything with the judge and write an HTML report.
 *
 * @param model   the base model (the shipped mini model)
 * @param output  a new folder for everything the demo writes
 * @param steps   fine-tuning steps per concept
 * @param seed    seed of training and sampling
 * @param seeds   pictures per prompt
 */
public record Demo(Path model, Path output, int steps, long seed, int seeds) {
    /** The two concepts the demo teaches, in token order. */
    public static final List<Concept> CONCEPTS = List.of(Concept.ZIGZAG_CUP, Concept.CHECKED_BALL);
    /** Regularisation captions for the merge: the world's own caption language. */
    static final int REG_CAPTIONS = 200;

    /** What the demo produced. */
    public record Result(Path report, Map<String, Map<Concept, ConceptEvaluation>> scores) {}

    public Result run(Consumer<String> log) throws IOException {
        Files.createDirectories(output);
        Path data = output.resolve("data");
        List<WorldConceptData> concepts = new ArrayList<>();
        for (Concept c : CONCEPTS) concepts.add(WorldConceptData.prepare(c, data, seed));

        List<Path> singles = new ArrayList<>();
        List<Path> metrics = new ArrayList<>();
        for (WorldConceptData c : concepts) {
            Path dir = output.resolve("train-" + c.concept().name().toLowerCase(java.util.Locale.ROOT));
            log.accept("fine-tuning " + c.concept().description() + " (" + steps + " steps) into " + dir);
            singles.add(FineTune.customDiffusion(steps, seed).run(model, List.of(c), dir, progress(log, c.concept())));
            metrics.add(dir.resolve("metrics.jsonl"));
        }

        Path regCaptions = data.resolve("reg-captions.txt");
        writeRegCaptions(regCaptions, seed);
        List<String> categories = new ArrayList<>();
        for (WorldConceptData c : concepts) categories.add(c.concept().category().word());
        log.accept("merging the two concepts in closed form (<new1> = " + CONCEPTS.get(0).category().word()
                + ", <new2> = " + CONCEPTS.get(1).category().word() + ")");
        ConceptMerger.Result merged = MergeFiles.merge(model, singles, String.join("+", categories), regCaptions, log);
        Path mergedFile = output.resolve("merged.cd4j.safetensors");
        Path compressedFile = output.resolve("merged-compressed.cd4j.safetensors");
        try (BaseModel base = BaseModel.open(model)) {
            DeltaFiles.save(merged.delta(), DeltaFormat.CD4J, mergedFile, base, false);
            DeltaCompressor.Result c = DeltaCompressor.compress(merged.delta(), base, DeltaCompressor.Options.defaults(),
                    mergedFile.toString());
            DeltaFiles.save(c.delta(), DeltaFormat.CD4J, compressedFile, base, false);
            log.accept(String.format(java.util.Locale.ROOT, "compressed the merge: %s -> %s",
                    org.cd4j.concept.compress.CompressionReport.bytes(Files.size(mergedFile)),
                    org.cd4j.concept.compress.CompressionReport.bytes(Files.size(compressedFile))));
        }

        log.accept("generating and judging");
        QualityMetrics judge = QualityMetrics.shipped();
        Sampling sampling = Sampling.defaults();
        Map<String, Map<Concept, ConceptEvaluation>> scores = new LinkedHashMap<>();
        scores.put("base model", evaluate(Sampling.load(model, List.of()), sampling, judge, null));
        for (int i = 0; i < concepts.size(); i++) {
            Concept c = concepts.get(i).concept();
            StableDiffusion sd = Sampling.load(model, List.of(singles.get(i)));
            scores.computeIfAbsent("Custom Diffusion, one concept", k -> new LinkedHashMap<>())
                    .put(c, ConceptEvaluation.run(sd, sampling, judge, c, "<new1>", seeds, seed));
        }
        StableDiffusion mergedSd = Sampling.load(model, List.of(mergedFile));
        scores.put("two concepts merged", evaluate(mergedSd, sampling, judge, "<new%d>"));
        StableDiffusion compressedSd = Sampling.load(model, List.of(compressedFile));
        scores.put("merged + compressed", evaluate(compressedSd, sampling, judge, "<new%d>"));

        List<DemoReport.Row> together = new ArrayList<>();
        for (String p : List.of("a <new1> cup on grass", "a <new2> ball on grass", "a <new1> cup and a <new2> ball")) {
            together.add(new DemoReport.Row(p, sampling.generate(mergedSd, p, seed, seeds)));
        }
        Path report = new DemoReport(output, concepts, metrics, scores, together, steps).write();
        return new Result(report, scores);
    }

    private Map<Concept, ConceptEvaluation> evaluate(StableDiffusion sd, Sampling sampling, QualityMetrics judge,
                                                     String tokenPattern) {
        Map<Concept, ConceptEvaluation> out = new LinkedHashMap<>();
        for (int i = 0; i < CONCEPTS.size(); i++) {
            String token = tokenPattern == null ? null : String.format(tokenPattern, i + 1);
            out.put(CONCEPTS.get(i), ConceptEvaluation.run(sd, sampling, judge, CONCEPTS.get(i), token, seeds, seed));
        }
        return out;
    }

    /** {@value #REG_CAPTIONS} captions of ordinary world scenes: the merge's regularisation text. */
    static void writeRegCaptions(Path file, long seed) throws IOException {
        World w = new World(seed);
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < REG_CAPTIONS; i++) {
            sb.append(Captions.text(Captions.choose(w.pretrainingScene(i), r))).append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, true, out -> out.write(bytes));
    }

    private static TrainListener progress(Consumer<String> log, Concept c) {
        return new TrainListener() {
            @Override
            public void step(int step, int total, double loss, double lr, double seconds, boolean skipped) {
                if (step % Math.max(1, total / 5) == 0 || step == total) {
                    log.accept(String.format(java.util.Locale.ROOT, "  %s: step %d/%d, loss %.4f, %.0f s", c.name(), step, total, loss, seconds));
                }
            }
        };
    }
}
