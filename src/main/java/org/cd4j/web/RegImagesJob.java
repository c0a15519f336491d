package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.PriorImages;
import org.cd4j.concept.TrainConfig;
import org.cd4j.concept.TrainListener;
import org.cd4j.concept.data.Concept;
import org.cd4j.nn.DType;
import org.cd4j.pipeline.StableDiffusion;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * "Make regularisation images": the base model draws class pictures for a class prompt into a
 * class set ({@link PriorImages}: picture {@code i} from seed {@code seed + i}, so the set is
 * reproducible and an interrupted job continues where it stopped). A later training that asks
 * for generated class pictures of the same model, prompt and resolution reuses the set.
 *
 * <p>The job loads its own copy of the model rather than borrowing the generate lane's cached
 * one, so generating pictures is not blocked for the length of this job (at the cost of memory).
 */
public final class RegImagesJob implements JobKind {
    private static final Pattern PROGRESS = Pattern.compile("class images: (\\d+)/(\\d+)");

    @Override
    public String type() {
        return "reg-images";
    }

    @Override
    public boolean resumable() {
        return true;
    }

    @Override
    public ObjectNode prepare(JsonNode req, Services s) {
        ModelRegistry.Model m = s.models().get(Json.text(req, "model", s.models().all().isEmpty() ? null : s.models().all().get(0).id(), 200));
        ObjectNode p = Json.object();
        p.put("model", m.id());
        String prompt = Json.required(req, "classPrompt", 500);
        p.put("classPrompt", prompt);
        p.put("count", Json.integer(req, "count", 200, 1, 2000));
        p.put("steps", Json.integer(req, "steps", 50, 1, 500));
        int res = Json.integer(req, "resolution", m.defaultSize(), 64, 1024);
        if (res % 8 != 0) throw ApiException.bad("resolution must be a multiple of 8, got " + res);
        p.put("resolution", res);
        p.put("seed", Json.integer(req, "seed", 42, 0, Integer.MAX_VALUE));
        try {
            String ds = Json.text(req, "dataset", null, 200);
            if (ds != null && !ds.isBlank()) {
                s.datasets().describe(ds);
            } else {
                ObjectNode found = s.datasets().findGenerated(m.id(), prompt, res);
                ds = found != null ? found.get("id").asText()
                        : s.datasets().create("generated: " + prompt, "class", prompt, m.id(), res).get("id").asText();
                s.datasets().markGenerated(ds);
            }
            p.put("dataset", ds);
        } catch (java.io.IOException e) {
            throw ApiException.bad(e.getMessage());
        }
        return p;
    }

    @Override
    public String title(ObjectNode params) {
        return "class images: " + params.path("classPrompt").asText();
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Services s = ctx.services();
        ObjectNode p = ctx.params();
        ModelRegistry.Model m = s.models().get(p.get("model").asText());
        Path dir = s.datasets().dir(p.get("dataset").asText());
        ctx.progress(pr -> pr.put("phase", "loading model"));
        StableDiffusion sd = StableDiffusion.load(m.dir(), DType.F32);
        String prompt = p.get("classPrompt").asText();
        int[] made = new int[1];
        try {
            made[0] = PriorImages.ensure(sd, List.of(new Concept(prompt, prompt, dir, dir)), config(p, m, dir, ctx.dir()), new TrainListener() {
                @Override
                public void log(String message) {
                    ctx.log(message.replace(dir.toString(), "the class set"));
                    Matcher mt = PROGRESS.matcher(message);
                    if (mt.find()) ctx.step("class images", Integer.parseInt(mt.group(1)), Integer.parseInt(mt.group(2)), null);
                    if (ctx.stopRequested()) throw new TrainJob.StopBeforeTraining();
                }
            });
        } catch (TrainJob.StopBeforeTraining e) {
            throw new JobContext.Stopped();
        }
        ObjectNode r = Json.object();
        r.put("dataset", p.get("dataset").asText());
        r.put("made", made[0]);
        r.put("count", s.datasets().describe(p.get("dataset").asText()).get("count").asInt());
        return r;
    }

    /**
     * The settings {@link PriorImages} reads (count, batch, steps, resolution, seed) in a
     * {@link TrainConfig}; the instance fields are placeholders it does not read.
     */
    private static TrainConfig config(ObjectNode p, ModelRegistry.Model m, Path dir, Path jobDir) {
        return new TrainConfig(m.dir().toString(), jobDir.toString(), dir.toString(), "unused", dir.toString(),
                p.get("classPrompt").asText(), null, "<new1>", null, true, false, 1.0, p.get("count").asInt(), 1,
                p.get("steps").asInt(), p.get("resolution").asInt(), 1, 1e-5, false, "constant", 0, 1, false, false, false,
                "crossattn_kv", p.get("seed").asLong(), 0, 0, null, 1, 1, 1, 1.0, 0.9, 0.999, 1e-2, 1e-8, "no", false, "refuse");
    }
}
