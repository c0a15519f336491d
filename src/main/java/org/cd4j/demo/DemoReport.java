package org.cd4j.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.io.AtomicFiles;
import org.cd4j.io.Png;
import org.cd4j.judge.Estimate;
import org.cd4j.world.Captions;
import org.cd4j.world.Concept;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's HTML page: the training pictures, each fine-tune's loss curve (inline SVG), a grid
 * of generated pictures per model and prompt, and the judge's scores in the paper's layout.
 * Pictures are written as PNG files beside the page (no network, no scripts).
 */
final class DemoReport {
    /** A labelled row of pictures. */
    record Row(String label, List<BufferedImage> images) {}

    private final Path output;
    private final List<WorldConceptData> concepts;
    private final List<Path> metrics;
    private final Map<String, Map<Concept, ConceptEvaluation>> scores;
    private final List<Row> together;
    private final int steps;
    private int imageCount;

    DemoReport(Path output, List<WorldConceptData> concepts, List<Path> metrics,
               Map<String, Map<Concept, ConceptEvaluation>> scores, List<Row> together, int steps) {
        this.output = output;
        this.concepts = concepts;
        this.metrics = metrics;
        this.scores = scores;
        this.together = together;
        this.steps = steps;
    }

    Path write() throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cd4j demo</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}")
                .append("img{width:96px;height:96px;image-rendering:pixelated;margin:2px;border:1px solid #ccc}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                .append("th:first-child,td:first-child{text-align:left}.row{margin:.5em 0}.label{font-family:monospace}")
                .append("</style></head><body><h1>cd4j demo: Custom Diffusion on the mini model</h1>")
                .append("<p>Two concepts the base model never saw were taught to it separately with Custom Diffusion (")
                .append(steps).append(" steps each, key/value projections of cross-attention plus one token), merged in closed ")
                .append("form into one model with <code>&lt;new1&gt;</code> and <code>&lt;new2&gt;</code>, and the merge was compressed ")
                .append("by truncated SVD. Every picture below is generated; the judge is a classifier trained on the world.</p>");

        h.append("<h2>Training pictures</h2>");
        for (WorldConceptData c : concepts) {
            List<BufferedImage> views = new ArrayList<>();
            try (var s = Files.list(c.instanceDir())) {
                for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().toList()) views.add(org.cd4j.io.ImageFiles.read(p));
            }
            row(h, c.concept().description() + " — trained as \"" + c.instancePrompt("<new1>") + "\"", views);
        }

        h.append("<h2>Loss</h2><p>Training loss per step (instance + prior), moving average over 10 steps.</p>");
        for (int i = 0; i < metrics.size(); i++) h.append(lossCurve(metrics.get(i), concepts.get(i).concept().name()));

        h.append("<h2>Generated pictures</h2><p>Each \"new contexts\" row is one picture per context prompt, all from ")
                .append("the same seed, so what differs between them comes from the words. The mini model samples from pure ")
                .append("noise (a zero-terminal-SNR schedule), so it takes the background from the prompt: the judge reads the ")
                .append("named background in three quarters of the base model's pictures (docs/QUALITY.md).</p>");
        for (Map.Entry<String, Map<Concept, ConceptEvaluation>> m : scores.entrySet()) {
            h.append("<h3>").append(esc(m.getKey())).append("</h3>");
            for (Map.Entry<Concept, ConceptEvaluation> e : m.getValue().entrySet()) {
                ConceptEvaluation ev = e.getValue();
                int perPrompt = ev.contextImages().size() / ConceptEvaluation.CONTEXTS.size();
                List<BufferedImage> firsts = new ArrayList<>();
                for (int k = 0; k < ev.contextImages().size(); k += perPrompt) firsts.add(ev.contextImages().get(k));
                row(h, "new contexts (" + esc(String.join(" / ", contextsOf(m.getKey(), e.getKey()))) + ")", firsts);
                row(h, "plain category: \"" + Captions.categoryPrompt(e.getKey().category()) + "\"", ev.priorImages());
            }
        }
        h.append("<h3>Both concepts in one model (merged)</h3><p>The world only has one object per picture; the last prompt ")
                .append("asks for something no training picture showed.</p>");
        for (Row r : together) row(h, "\"" + r.label() + "\"", r.images());

        h.append("<h2>Scores</h2><p>Judge scores, mean ± standard error. <b>Image alignment</b>: probability the judge ")
                .append("sees the concept in pictures of it in new contexts, and embedding similarity to its real views. ")
                .append("<b>Text alignment</b>: share of the prompted attributes (category, background) the judge sees. ")
                .append("<b>Prior preservation</b>: share of \"a photo of a cup\" pictures that show an ordinary cup, not the concept. ")
                .append("The base model has no token and gets the same prompts without it.</p>");
        for (Concept c : Demo.CONCEPTS) {
            h.append("<table><tr><th>").append(esc(c.description())).append("</th><th>image alignment (P concept)</th>")
                    .append("<th>image alignment (similarity)</th><th>text alignment</th><th>prior preservation</th></tr>");
            for (Map.Entry<String, Map<Concept, ConceptEvaluation>> m : scores.entrySet()) {
                ConceptEvaluation ev = m.getValue().get(c);
                if (ev == null) continue;
                h.append("<tr><td>").append(esc(m.getKey())).append("</td>").append(cell(ev.imageProbability()))
                        .append(cell(ev.imageSimilarity())).append(cell(ev.textAlignment())).append(cell(ev.priorPreservation()))
                        .append("</tr>");
            }
            h.append("</table>");
        }
        h.append("</body></html>\n");
        Path page = output.resolve("report.html");
        byte[] bytes = h.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(page, true, out -> out.write(bytes));
        return page;
    }

    private static List<String> contextsOf(String model, Concept c) {
        List<String> out = new ArrayList<>();
        for (var b : ConceptEvaluation.CONTEXTS) out.add(b.phrase());
        return out;
    }

    private void row(StringBuilder h, String label, List<BufferedImage> images) throws IOException {
        h.append("<div class=\"row\"><div class=\"label\">").append(esc(label)).append("</div>");
        for (BufferedImage img : images) {
            String name = String.format(Locale.ROOT, "images/%04d.png", imageCount++);
            Png.write(output.resolve(name), img, Map.of("software", "cd4j demo"), true);
            h.append("<img src=\"").append(name).append("\" alt=\"\">");
        }
        h.append("</div>");
    }

    private static String cell(Estimate e) {
        return String.format(Locale.ROOT, "<td>%.3f ± %.3f</td>", e.mean(), e.standardError());
    }

    /** An SVG polyline of the loss (moving average over 10 steps). */
    private static String lossCurve(Path metricsFile, String title) throws IOException {
        List<Double> loss = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(metricsFile, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            if (n.has("loss")) loss.add(n.get("loss").asDouble());
        }
        if (loss.isEmpty()) return "<p>no loss recorded</p>";
        double[] avg = new double[loss.size()];
        double max = 0;
        for (int i = 0; i < avg.length; i++) {
            double s = 0;
            int n = 0;
            for (int k = Math.max(0, i - 9); k <= i; k++, n++) s += loss.get(k);
            avg[i] = s / n;
            max = Math.max(max, avg[i]);
        }
        int w = 480, hgt = 160;
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < avg.length; i++) {
            double x = 40 + (w - 50) * (avg.length == 1 ? 0 : (double) i / (avg.length - 1));
            double y = 10 + (hgt - 30) * (1 - avg[i] / max);
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        return String.format(Locale.ROOT, "<figure><svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"loss of %s\">"
                        + "<line x1=\"40\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/><line x1=\"40\" y1=\"10\" x2=\"40\" y2=\"%d\" stroke=\"#888\"/>"
                        + "<text x=\"0\" y=\"18\" font-size=\"11\">%.3f</text><text x=\"0\" y=\"%d\" font-size=\"11\">0</text>"
                        + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">step %d</text>"
                        + "<polyline fill=\"none\" stroke=\"#c33\" stroke-width=\"1.5\" points=\"%s\"/></svg>"
                        + "<figcaption>%s</figcaption></figure>", w, hgt, title, hgt - 20, w - 10, hgt - 20, hgt - 20, max, hgt - 20,
                w - 10, hgt - 5, avg.length, pts, esc(title));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
