package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.compress.CompressionReport;
import org.cd4j.concept.compress.DeltaCompressor;
import org.cd4j.concept.compress.LayerCompression;
import org.cd4j.concept.compress.RankCriterion;
import org.cd4j.concept.delta.BaseModel;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.CrossAttnParams;
import org.cd4j.concept.delta.DeltaWeight;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

/**
 * Compresses a library delta into low-rank factors ({@link DeltaCompressor}: truncated SVD of
 * {@code W − W0}) and adds the result to the library; the result carries the size and error
 * report (per weight: rank kept, relative error, bytes).
 */
public final class CompressJob implements JobKind {
    @Override
    public String type() {
        return "compress";
    }

    @Override
    public ObjectNode prepare(JsonNode req, Services s) {
        String delta = DeltaStore.checkName(Json.required(req, "delta", 64));
        s.deltas().file(delta);
        ObjectNode p = Json.object();
        p.put("delta", delta);
        p.put("model", s.models().get(Json.text(req, "model", defaultModel(s, delta), 200)).id());
        String criterion = Json.text(req, "criterion", "ratio", 10);
        p.put("criterion", criterion);
        switch (criterion) {
            case "ratio" -> p.put("value", Json.number(req, "value", RankCriterion.DEFAULT_RATIO, 0.01, 0.99));
            case "energy" -> p.put("value", Json.number(req, "value", 0.9, 0.01, 0.9999));
            case "rank" -> {
                int rank = Json.integer(req, "value", 8, 1, 4096);
                checkRank(s, delta, rank);
                p.put("value", rank);
            }
            default -> throw ApiException.bad("criterion must be ratio, energy or rank");
        }
        String suffix = criterion.equals("rank") ? "-rank" + p.get("value").asInt()
                : "-" + criterion.charAt(0) + Math.round(p.get("value").asDouble() * 100);
        String name = Json.text(req, "name", null, 64);
        p.put("name", name == null || name.isBlank() ? DeltaStore.sanitize(delta + suffix) : DeltaStore.checkName(name.strip()));
        return p;
    }

    /** The model a delta was trained on when the server has it, else the first. */
    static String defaultModel(Services s, String delta) {
        try {
            String base = s.deltas().describe(delta).path("baseModel").asText("");
            for (ModelRegistry.Model m : s.models().all()) {
                if (m.id().equals(base) || org.cd4j.pipeline.ModelFolder.displayName(m.dir()).equals(base)) return m.id(); // org/name of a hub model
            }
        } catch (IOException | RuntimeException e) {
            // fall back to the first model
        }
        return s.models().all().isEmpty() ? null : s.models().all().get(0).id();
    }

    private static void checkRank(Services s, String delta, int rank) {
        try {
            ConceptDelta d = s.deltas().load(delta);
            for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
                if (!CrossAttnParams.isKeyOrValue(e.getKey())) continue;
                long[] sh = e.getValue().shape();
                long max = Math.min(sh[0], sh[1]);
                if (rank > max) throw ApiException.bad("rank " + rank + " is larger than " + e.getKey() + " (" + sh[0] + "×" + sh[1] + ") allows: at most " + max);
            }
        } catch (IOException e) {
            throw ApiException.bad("delta '" + delta + "' cannot be read: " + e.getMessage());
        }
    }

    @Override
    public String title(ObjectNode params) {
        return "compress " + params.path("delta").asText();
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Services s = ctx.services();
        ObjectNode p = ctx.params();
        ModelRegistry.Model m = s.models().get(p.get("model").asText());
        String source = p.get("delta").asText();
        double v = p.get("value").asDouble();
        RankCriterion rule = switch (p.get("criterion").asText()) {
            case "rank" -> new RankCriterion.FixedRank((int) v);
            case "energy" -> new RankCriterion.Energy(v);
            default -> new RankCriterion.Ratio(v);
        };
        ctx.progress(pr -> pr.put("phase", "compressing"));
        DeltaCompressor.Result r;
        long before = java.nio.file.Files.size(s.deltas().file(source));
        try (BaseModel base = BaseModel.open(m.dir())) {
            r = DeltaCompressor.compress(s.deltas().load(source), base, new DeltaCompressor.Options(rule, false), source);
        }
        r.warnings().forEach(ctx::log);
        ObjectNode origin = Json.object();
        origin.put("origin", "compress");
        origin.put("from", source);
        origin.put("criterion", rule.describe());
        ObjectNode d = s.deltas().add(p.get("name").asText(), r.delta(), origin);
        ctx.log(r.report().table().strip());
        ObjectNode res = Json.object();
        res.put("delta", d.get("name").asText());
        res.put("bytesBefore", before);
        res.put("bytesAfter", d.get("bytes").asLong());
        res.set("report", report(r.report()));
        return res;
    }

    /** The report as the page shows it. */
    static ObjectNode report(CompressionReport rep) {
        ObjectNode o = Json.object();
        o.put("criterion", rep.criterion());
        o.put("storedBytes", rep.storedBytes());
        o.put("fullBytes", rep.fullBytes());
        o.put("totalRelativeError", rep.totalRelativeError());
        o.put("maxRelativeError", rep.maxRelativeError());
        ArrayNode layers = o.putArray("layers");
        for (LayerCompression l : rep.layers()) {
            ObjectNode x = layers.addObject();
            x.put("name", l.name());
            x.put("shape", l.rows() + "×" + l.cols());
            x.put("rank", l.rank());
            x.put("maxRank", l.maxRank());
            x.put("relativeError", l.relativeError());
            x.put("storedBytes", l.storedBytes());
        }
        o.put("summary", String.format(Locale.ROOT, "%s → %s, relative error %.2f%% (largest %.2f%%)",
                CompressionReport.bytes(rep.fullBytes()), CompressionReport.bytes(rep.storedBytes()),
                100 * rep.totalRelativeError(), 100 * rep.maxRelativeError()));
        return o;
    }
}
