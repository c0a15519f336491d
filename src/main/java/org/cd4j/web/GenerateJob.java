package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaApplier;
import org.cd4j.pipeline.GenerationRequest;
import org.cd4j.sched.Samplers;

import java.awt.image.BufferedImage;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Text-to-image as a job on the generate lane, with deltas at a strength each. Picture {@code i}
 * of a request is generated alone with seed {@code seed + i}, so any picture of the gallery is
 * reproduced by its own seed with a count of 1 (the same seed gives diffusers' picture).
 * Pictures are saved to the gallery as soon as each is done.
 */
public final class GenerateJob implements JobKind {
    /** Most pictures per request. */
    static final int MAX_IMAGES = 16;
    /** Most deltas combined. */
    static final int MAX_DELTAS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public String type() {
        return "generate";
    }

    @Override
    public String lane() {
        return JobQueue.GENERATE;
    }

    @Override
    public ObjectNode prepare(JsonNode req, Services s) {
        String modelId = Json.text(req, "model", s.models().all().isEmpty() ? null : s.models().all().get(0).id(), 200);
        ModelRegistry.Model m = s.models().get(modelId);
        ObjectNode p = Json.object();
        p.put("model", m.id());
        p.put("prompt", Json.required(req, "prompt", 2000));
        p.put("negativePrompt", Json.text(req, "negativePrompt", "", 2000));
        JsonNode seed = req.get("seed");
        long sd;
        if (seed == null || seed.isNull() || (seed.isTextual() && (seed.asText().isBlank() || seed.asText().equalsIgnoreCase("random")))
                || (seed.isNumber() && seed.asLong() == -1)) {
            sd = RANDOM.nextInt() & 0xffffffffL; // a short, typeable seed
        } else if (seed.isIntegralNumber() && seed.canConvertToLong() && seed.asLong() >= 0 && seed.asLong() <= 0xffffffffL) {
            sd = seed.asLong();
        } else if (seed.isTextual() && seed.asText().strip().matches("\\d{1,10}") && Long.parseLong(seed.asText().strip()) <= 0xffffffffL) {
            sd = Long.parseLong(seed.asText().strip());
        } else {
            throw ApiException.bad("seed must be a whole number between 0 and 4294967295, or \"random\"");
        }
        p.put("seed", sd);
        p.put("steps", Json.integer(req, "steps", 30, 1, 500));
        p.put("guidance", Json.number(req, "guidance", 7.5, 0, 50));
        String sampler = Json.text(req, "sampler", "", 20).strip();
        if (sampler.isEmpty() || sampler.equals("default")) sampler = null;
        else if (!Samplers.names().contains(sampler)) {
            throw ApiException.bad("unknown sampler '" + Workdir.shorten(sampler) + "' (expected one of " + String.join(", ", Samplers.names()) + ")");
        }
        p.put("sampler", sampler);
        double eta = Json.number(req, "eta", 0.0, 0.0, 1.0);
        if (eta != 0 && (sampler == null || !Samplers.entries().get(sampler).takesEta())) {
            throw ApiException.bad("eta applies to the ddim sampler only; set it to 0 or choose ddim");
        }
        p.put("eta", eta);
        boolean karras = Json.bool(req, "karras", false);
        if (karras && (sampler == null || !Samplers.entries().get(sampler).takesKarras())) {
            throw ApiException.bad("Karras sigmas apply to the euler and dpm++2m samplers only");
        }
        p.put("karras", karras);
        for (String f : new String[]{"width", "height"}) {
            int v = Json.integer(req, f, m.defaultSize(), 64, 2048);
            if (v % 8 != 0) throw ApiException.bad(f + " must be a multiple of 8, got " + v);
            p.put(f, v);
        }
        p.put("count", Json.integer(req, "count", 1, 1, MAX_IMAGES));
        p.put("force", Json.bool(req, "force", false));
        p.set("deltas", deltas(req, s));
        return p;
    }

    private static ArrayNode deltas(JsonNode req, Services s) {
        ArrayNode out = Json.array();
        JsonNode ds = req.get("deltas");
        if (ds == null || ds.isNull()) return out;
        if (!ds.isArray()) throw ApiException.bad("deltas must be a list of {name, strength}");
        if (ds.size() > MAX_DELTAS) throw ApiException.bad("at most " + MAX_DELTAS + " deltas can be combined");
        Set<String> seen = new HashSet<>();
        for (JsonNode d : ds) {
            if (!d.isObject()) throw ApiException.bad("deltas must be a list of {name, strength}");
            String name = DeltaStore.checkName(Json.required(d, "name", 64));
            s.deltas().file(name);
            if (!seen.add(name)) throw ApiException.bad("delta '" + name + "' is chosen twice");
            ObjectNode e = out.addObject();
            e.put("name", name);
            e.put("strength", Json.number(d, "strength", 1.0, -2.0, 2.0));
        }
        return out;
    }

    @Override
    public String title(ObjectNode params) {
        String t = params.path("prompt").asText();
        return t.length() <= 60 ? t : t.substring(0, 57) + "...";
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Services s = ctx.services();
        ObjectNode p = ctx.params();
        ModelRegistry.Model m = s.models().get(p.get("model").asText());
        List<DeltaApplier.Entry> entries = new ArrayList<>();
        ArrayNode used = Json.array();
        for (JsonNode d : p.get("deltas")) {
            String name = d.get("name").asText();
            ConceptDelta delta = s.deltas().load(name);
            entries.add(new DeltaApplier.Entry(delta, d.get("strength").asDouble(), name));
            ObjectNode u = used.addObject();
            u.put("name", name);
            u.put("strength", d.get("strength").asDouble());
            u.set("tokens", Json.MAPPER.valueToTree(delta.modifierTokens()));
            if (!delta.modifierTokens().isEmpty() && delta.modifierTokens().stream().noneMatch(t -> p.get("prompt").asText().contains(t))) {
                ctx.log("note: the prompt does not mention " + String.join(" or ", delta.modifierTokens()) + " of delta " + name);
            }
        }
        int count = p.get("count").asInt();
        long seed = p.get("seed").asLong();
        String sampler = p.get("sampler").isNull() ? null : p.get("sampler").asText();
        ArrayNode images = Json.array();
        ctx.progress(pr -> pr.put("phase", "loading model"));
        String stem = "img-" + ctx.job().id().substring("job-".length());
        for (int i = 0; i < count; i++) {
            ctx.checkStop();
            int index = i;
            GenerationRequest r = new GenerationRequest(p.get("prompt").asText(), p.get("negativePrompt").asText(), seed + i,
                    p.get("steps").asInt(), p.get("guidance").asDouble(), sampler, p.get("eta").asDouble(),
                    p.get("height").asInt(), p.get("width").asInt(), 1, p.get("karras").asBoolean(), null);
            List<BufferedImage> pics;
            try {
                pics = s.engine().generate(m, entries, p.get("force").asBoolean(), r, (done, total, secs) -> {
                    if (ctx.stopRequested()) throw new StopSampling();
                    ctx.step("generating", index * total + done, count * total, pr -> {
                        pr.put("image", index + 1);
                        pr.put("images", count);
                    });
                }, ctx::log);
            } catch (StopSampling e) {
                throw new JobContext.Stopped();
            }
            ObjectNode params = p.deepCopy();
            params.remove("count");
            params.remove("force");
            params.put("seed", seed + i);
            params.put("sampler", sampler == null ? "default" : sampler);
            params.set("deltas", used);
            params.put("job", ctx.job().id());
            ObjectNode item = s.gallery().save(stem + "-" + i, pics.get(0), params);
            images.add(item);
            ctx.image("generated", item.get("url").asText(), item);
        }
        ObjectNode res = Json.object();
        res.set("images", images);
        return res;
    }

    /** Unwinds the sampler when the job is cancelled. */
    private static final class StopSampling extends RuntimeException {
        StopSampling() {
            super("stopped", null, false, false);
        }
    }
}
