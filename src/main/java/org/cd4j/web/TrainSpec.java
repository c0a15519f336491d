package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.ModifierTokens;
import org.cd4j.concept.TrainConfig;
import org.cd4j.concept.TrainMode;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.text.ClipTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Train page's request, checked and turned into the parameters of a training job, and those
 * parameters into a {@link TrainConfig}. Defaults are the diffusers README recipe (250 steps,
 * learning rate 1e-5 scaled by batch and prior, batch 2, flips, prior preservation with 200
 * generated class pictures); each check's message names the concept and field.
 */
final class TrainSpec {
    /** Most concepts trained jointly (the reference Space allows 3). */
    static final int MAX_CONCEPTS = 5;
    private static final Pattern TOKEN = Pattern.compile("<[A-Za-z0-9_-]{1,30}>");
    private static final Pattern INITIALIZER = Pattern.compile("[A-Za-z0-9]{1,20}");

    private TrainSpec() {}

    /** Checks the request; returns the job parameters (dataset ids resolved, defaults filled in). */
    static ObjectNode prepare(JsonNode req, Services s) throws IOException {
        ModelRegistry.Model model = s.models().get(Json.text(req, "model", defaultModel(s), 200));
        ObjectNode p = Json.object();
        p.put("model", model.id());
        JsonNode cs = req.get("concepts");
        if (cs == null || !cs.isArray() || cs.isEmpty()) throw ApiException.bad("add at least one concept (pictures and a prompt)");
        if (cs.size() > MAX_CONCEPTS) throw ApiException.bad("at most " + MAX_CONCEPTS + " concepts can be trained together");
        boolean prior = Json.bool(req, "regularization", true);
        p.put("regularization", prior);
        ObjectNode o = options(req, model);
        p.set("options", o);
        ClipTokenizer tok = ClipTokenizer.load(ModelFolder.open(model.dir()).tokenizer());
        ArrayNode out = p.putArray("concepts");
        Set<String> tokens = new HashSet<>();
        for (int i = 0; i < cs.size(); i++) {
            out.add(concept(cs.get(i), i, prior, tokens, tok, s));
        }
        String name = Json.text(req, "name", null, 80);
        if (name == null || name.isBlank()) name = out.get(0).path("classPrompt").asText("").isBlank() ? "concept" : out.get(0).path("classPrompt").asText();
        p.put("name", name.strip());
        if (!o.has("validationPrompt")) o.put("validationPrompt", out.get(0).path("instancePrompt").asText());
        config(p, Path.of("check"), Path.of("check.json"), model); // the trainer's own checks, before queueing
        classSets(p, model, s);
        return p;
    }

    /**
     * Gives every concept with generated class pictures its set: an earlier generated set of the
     * same model, prompt and resolution (reused, so pictures are drawn once), or a new one.
     */
    private static void classSets(ObjectNode p, ModelRegistry.Model model, Services s) throws IOException {
        int res = p.get("options").get("resolution").asInt();
        for (JsonNode c : p.get("concepts")) {
            if (!"generate".equals(c.path("classSource").asText())) continue;
            String prompt = c.get("classPrompt").asText();
            ObjectNode found = s.datasets().findGenerated(model.id(), prompt, res);
            String id = found != null ? found.get("id").asText()
                    : s.datasets().create("generated: " + prompt, "class", prompt, model.id(), res).get("id").asText();
            s.datasets().markGenerated(id);
            ((ObjectNode) c).put("classImages", id);
        }
    }

    private static String defaultModel(Services s) {
        return s.models().all().isEmpty() ? null : s.models().all().get(0).id();
    }

    private static ObjectNode concept(JsonNode c, int i, boolean prior, Set<String> tokens, ClipTokenizer tok, Services s)
            throws IOException {
        String who = "concept " + (i + 1) + ": ";
        if (c == null || !c.isObject()) throw ApiException.bad(who + "must be an object");
        ObjectNode r = Json.object();
        String images = Json.text(c, "images", null, 200);
        if (images == null) throw ApiException.bad(who + "upload its pictures first");
        int count = s.datasets().describe(images).path("count").asInt();
        if (count == 0) throw ApiException.bad(who + "its picture set is empty; upload 3-20 pictures of it");
        r.put("images", images);
        String token = Json.text(c, "token", "<new" + (i + 1) + ">", 40).strip();
        if (!TOKEN.matcher(token).matches()) throw ApiException.bad(who + "the token must look like <new1> (letters, digits, _ or - in angle brackets)");
        if (!tokens.add(token)) throw ApiException.bad(who + "the token " + token + " is used by another concept");
        if (tok.tokenId(token).isPresent() || tok.tokenId(token + "</w>").isPresent()) {
            throw ApiException.bad(who + "the token " + token + " is already a word of the model's vocabulary; choose another");
        }
        r.put("token", token);
        String init = Json.text(c, "initializer", i < ModifierTokens.DEFAULT_INITIALIZERS.size()
                ? ModifierTokens.DEFAULT_INITIALIZERS.get(i) : null, 20);
        if (init == null || init.isBlank()) throw ApiException.bad(who + "give an initializer token (a rare single token, e.g. ktn)");
        init = init.strip();
        if (!INITIALIZER.matcher(init).matches() || (tok.tokenId(init).isEmpty() && tok.encodeUnpadded(init).length != 3)) {
            throw ApiException.bad(who + "the initializer '" + Workdir.shorten(init) + "' is not a single token of the model's vocabulary");
        }
        r.put("initializer", init);
        String instance = Json.required(c, "instancePrompt", 500);
        if (!instance.contains(token)) throw ApiException.bad(who + "the instance prompt must contain its token " + token + ", e.g. \"photo of a " + token + " cat\"");
        r.put("instancePrompt", instance);
        String classPrompt = Json.text(c, "classPrompt", "", 500).strip();
        r.put("classPrompt", classPrompt);
        if (prior) {
            if (classPrompt.isEmpty()) throw ApiException.bad(who + "give a class prompt (the category, e.g. \"cat\") for its regularisation pictures");
            String source = Json.text(c, "classSource", "generate", 20);
            String classSet;
            if (source.equals("generate")) {
                classSet = null; // found or made once every check has passed (see classSets)
            } else if (source.equals("dataset")) {
                classSet = Json.text(c, "classImages", null, 200);
                if (classSet == null) throw ApiException.bad(who + "choose the set of class pictures, or let them be generated");
                if (classSet.equals(images)) throw ApiException.bad(who + "the class pictures must not be the concept's own pictures");
                s.datasets().describe(classSet);
            } else {
                throw ApiException.bad(who + "classSource must be 'generate' or 'dataset'");
            }
            r.put("classSource", source);
            if (classSet != null) r.put("classImages", classSet);
        }
        return r;
    }

    private static ObjectNode options(JsonNode req, ModelRegistry.Model model) {
        ObjectNode o = Json.object();
        int steps = Json.integer(req, "steps", 250, 1, 100_000);
        o.put("steps", steps);
        o.put("learningRate", Json.number(req, "learningRate", 1e-5, 1e-8, 1e-2));
        o.put("scaleLr", Json.bool(req, "scaleLr", true));
        o.put("batchSize", Json.integer(req, "batchSize", 2, 1, 16));
        o.put("gradientAccumulation", Json.integer(req, "gradientAccumulation", 1, 1, 64));
        o.put("numClassImages", Json.integer(req, "numClassImages", 200, 1, 2000));
        o.put("priorLossWeight", Json.number(req, "priorLossWeight", 1.0, 0, 10));
        int res = Json.integer(req, "resolution", model.defaultSize(), 64, 1024);
        if (res % 8 != 0) throw ApiException.bad("resolution must be a multiple of 8, got " + res);
        o.put("resolution", res);
        String freeze = Json.text(req, "freezeModel", "crossattn_kv", 20);
        if (java.util.Arrays.stream(TrainMode.values()).noneMatch(m -> m.id.equals(freeze))) {
            throw ApiException.bad("trained weights must be crossattn_kv, crossattn, or a baseline: none (every UNet weight)"
                    + " or all (token embeddings only)");
        }
        o.put("freezeModel", freeze);
        o.put("seed", Json.integer(req, "seed", 42, 0, Integer.MAX_VALUE));
        o.put("hflip", Json.bool(req, "hflip", true));
        o.put("noAug", Json.bool(req, "noAug", false));
        o.put("gradientCheckpointing", Json.bool(req, "gradientCheckpointing", false));
        o.put("checkpointingSteps", Json.integer(req, "checkpointingSteps", Math.min(50, steps), 0, 100_000));
        String vp = Json.text(req, "validationPrompt", null, 500);
        if (vp != null) o.put("validationPrompt", vp.strip());
        o.put("validationSteps", Json.integer(req, "validationSteps", 50, 1, 100_000));
        o.put("numValidationImages", Json.integer(req, "numValidationImages", 1, 1, 8));
        String mp = Json.text(req, "mixedPrecision", "no", 10);
        if (!mp.equals("no") && !mp.equals("bf16")) throw ApiException.bad("mixed precision must be 'no' or 'bf16'");
        o.put("mixedPrecision", mp);
        o.put("priorGenerationSteps", Json.integer(req, "priorGenerationSteps", 50, 1, 500));
        return o;
    }

    /**
     * The trainer's configuration for a job's parameters.
     *
     * @param output       the run's output folder
     * @param conceptsList the reference concepts JSON written for the run
     */
    static TrainConfig config(ObjectNode p, Path output, Path conceptsList, ModelRegistry.Model model) {
        JsonNode o = p.get("options");
        List<JsonNode> cs = new java.util.ArrayList<>();
        p.get("concepts").forEach(cs::add);
        String tokens = String.join("+", cs.stream().map(c -> c.get("token").asText()).toList());
        String inits = String.join("+", cs.stream().map(c -> c.get("initializer").asText()).toList());
        String vp = o.path("validationPrompt").asText("");
        try {
            return new TrainConfig(model.dir().toString(), output.toString(), null, null, null, null, conceptsList.toString(),
                    tokens, inits, p.get("regularization").asBoolean(), false, o.get("priorLossWeight").asDouble(),
                    o.get("numClassImages").asInt(), 1, o.get("priorGenerationSteps").asInt(), o.get("resolution").asInt(),
                    o.get("batchSize").asInt(), o.get("learningRate").asDouble(), o.get("scaleLr").asBoolean(), "constant", 0,
                    o.get("steps").asInt(), o.get("hflip").asBoolean(), o.get("noAug").asBoolean(), false,
                    o.get("freezeModel").asText(), o.get("seed").asLong(), o.get("checkpointingSteps").asInt(), 2,
                    vp.isBlank() ? null : vp, o.get("validationSteps").asInt(), o.get("numValidationImages").asInt(),
                    o.get("gradientAccumulation").asInt(), 1.0, 0.9, 0.999, 1e-2, 1e-8, o.get("mixedPrecision").asText(), false,
                    "skip", o.path("gradientCheckpointing").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw ApiException.bad(e.getMessage());
        }
    }

    /** The reference {@code concepts_list} JSON with the datasets' folders. */
    static ArrayNode conceptsList(ObjectNode p, Datasets datasets) throws IOException {
        ArrayNode a = Json.array();
        for (JsonNode c : p.get("concepts")) {
            datasets.checkNoLinks(c.get("images").asText());
            if (c.hasNonNull("classImages")) datasets.checkNoLinks(c.get("classImages").asText());
            ObjectNode e = a.addObject();
            e.put("instance_prompt", c.get("instancePrompt").asText());
            String cp = c.path("classPrompt").asText("");
            e.put("class_prompt", cp.isBlank() ? null : cp);
            e.put("instance_data_dir", datasets.dir(c.get("images").asText()).toString());
            e.put("class_data_dir", c.hasNonNull("classImages") ? datasets.dir(c.get("classImages").asText()).toString() : null);
        }
        return a;
    }
}
