package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.merge.ConceptMerger;
import org.cd4j.concept.merge.MergeFiles;
import org.cd4j.concept.merge.RenamedToken;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Merges several library deltas into one by the paper's closed-form constrained least squares
 * ({@link MergeFiles}); tokens are renamed {@code <new1>…<newN>} in the chosen order and the
 * result, with the renaming and the constraint errors, joins the library.
 */
public final class MergeJob implements JobKind {
    @Override
    public String type() {
        return "merge";
    }

    @Override
    public ObjectNode prepare(JsonNode req, Services s) {
        JsonNode ds = req.get("deltas");
        if (ds == null || !ds.isArray() || ds.size() < 2) throw ApiException.bad("choose at least two deltas to merge");
        if (ds.size() > 16) throw ApiException.bad("at most 16 deltas can be merged at once");
        ObjectNode p = Json.object();
        ArrayNode names = p.putArray("deltas");
        Set<String> seen = new HashSet<>();
        for (JsonNode d : ds) {
            if (!d.isTextual()) throw ApiException.bad("deltas must be a list of delta names");
            String n = DeltaStore.checkName(d.asText());
            s.deltas().file(n);
            if (!seen.add(n)) throw ApiException.bad("delta '" + n + "' is chosen twice");
            names.add(n);
        }
        p.put("model", s.models().get(Json.text(req, "model", CompressJob.defaultModel(s, names.get(0).asText()), 200)).id());
        String cats = Json.text(req, "categories", "", 500).strip();
        p.put("categories", cats.isEmpty() ? null : cats);
        String name = Json.text(req, "name", null, 64);
        p.put("name", name == null || name.isBlank() ? DeltaStore.sanitize(String.join("+", seen).replace('+', '-') + "-merged")
                : DeltaStore.checkName(name.strip()));
        return p;
    }

    @Override
    public String title(ObjectNode params) {
        List<String> n = new ArrayList<>();
        params.get("deltas").forEach(d -> n.add(d.asText()));
        return "merge " + String.join(" + ", n);
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Services s = ctx.services();
        ObjectNode p = ctx.params();
        ModelRegistry.Model m = s.models().get(p.get("model").asText());
        List<Path> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (JsonNode d : p.get("deltas")) {
            names.add(d.asText());
            files.add(s.deltas().file(d.asText()));
        }
        String root = s.workdir().deltas().toString() + "/";
        ctx.progress(pr -> pr.put("phase", "merging"));
        String cats = p.get("categories").isNull() ? null : p.get("categories").asText();
        ConceptMerger.Result r = MergeFiles.merge(m.dir(), files, cats, null, w -> ctx.log(w.replace(root, "")));
        ObjectNode origin = Json.object();
        origin.put("origin", "merge");
        origin.set("from", Json.MAPPER.valueToTree(names));
        ObjectNode d = s.deltas().add(p.get("name").asText(), r.delta(), origin);
        ctx.log(r.report().table().replace(root, "").strip());
        ObjectNode res = Json.object();
        res.put("delta", d.get("name").asText());
        ArrayNode map = res.putArray("tokens");
        for (RenamedToken t : r.report().renames()) {
            ObjectNode x = map.addObject();
            x.put("from", Path.of(t.source()).getFileName().toString().replace(".cd4j.safetensors", ""));
            x.put("original", t.original());
            x.put("renamed", t.renamed());
        }
        res.put("maxConstraintError", r.report().maxConstraintError());
        res.put("regCondition", r.report().regCondition());
        res.put("targetCondition", r.report().targetCondition());
        return res;
    }
}
