package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/jobs}: training and class-picture jobs, the queue, cancel, resume, delete, and bad input. */
class JobsApiTest extends ServerFixture {
    static final Duration LONG = Duration.ofMinutes(5);

    @Test
    void trainsAConceptWithGeneratedClassPicturesAndKeepsEverything() throws Exception {
        String set = potSet(3);
        Map<String, Object> req = new HashMap<>(shortTraining(set, "wooden pot", 3));
        req.put("regularization", true);
        req.put("numClassImages", 1);
        req.put("priorGenerationSteps", 2);
        req.put("validationPrompt", "photo of a <new1> pot");
        req.put("validationSteps", 3);
        req.put("concepts", List.of(Map.of("images", set, "instancePrompt", "photo of a <new1> pot", "classPrompt", "pot",
                "classSource", "generate")));
        WebClient.Res r = api.post("/api/jobs/train", req);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = r.json().get("id").asText();
        assertThat(r.json().get("params").get("concepts").get(0).get("token").asText()).isEqualTo("<new1>");
        JsonNode done = api.await(id, LONG, "done");

        assertThat(done.get("result").get("delta").asText()).isEqualTo("wooden-pot");
        assertThat(done.get("progress").get("step").asInt()).isEqualTo(3);
        JsonNode metrics = api.get("/api/jobs/" + id + "/metrics").json();
        assertThat(metrics.get("step").toString()).isEqualTo("[1,2,3]");
        assertThat(metrics.get("loss")).hasSize(3);
        assertThat(api.get("/api/jobs/" + id + "/log").json().get("lines").toString()).contains("saved delta 'wooden-pot'")
                .contains("class images: 1/1");
        JsonNode val = done.get("validation");
        assertThat(val).hasSize(1);
        assertThat(val.get(0).get("step").asInt()).isEqualTo(3);
        WebClient.Res png = api.get(val.get(0).get("url").asText());
        assertThat(png.raw().headers().firstValue("Content-Type")).hasValue("image/png");

        JsonNode delta = api.get("/api/deltas/wooden-pot").json();
        assertThat(delta.get("tokens").toString()).isEqualTo("[\"<new1>\"]");
        assertThat(delta.get("origin").asText()).isEqualTo("training");
        assertThat(delta.get("baseModel").asText()).isEqualTo("tiny-sd1");
        assertThat(workdir.resolve("jobs").resolve(id).resolve("output").resolve("config.json")).exists();

        String classSet = done.get("params").get("concepts").get(0).get("classImages").asText();
        JsonNode cls = api.get("/api/datasets/" + classSet).json();
        assertThat(cls.get("count").asInt()).isEqualTo(1);
        assertThat(cls.get("generated").asBoolean()).isTrue();
        // a second training with the same class prompt and size reuses the generated set
        WebClient.Res again = api.post("/api/jobs/train", req);
        assertThat(again.json().get("params").get("concepts").get(0).get("classImages").asText()).isEqualTo(classSet);
        api.post("/api/jobs/" + again.json().get("id").asText() + "/cancel", "{}");
        api.await(again.json().get("id").asText(), LONG, "cancelled");
        assertThat(api.get("/api/jobs?type=train").json()).hasSize(2);
        assertThat(api.get("/api/jobs?type=merge").json()).isEmpty();
    }

    @Test
    void refusesBadTrainingRequestsWithMessagesNamingTheField() {
        String set = potSet(1);
        String empty = api.post("/api/datasets", Map.of("kind", "instance")).json().get("id").asText();
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"model\":\"tiny-sd1\"}", "at least one concept");
        cases.put("{\"concepts\":{}}", "at least one concept");
        cases.put(concept("{\"images\":\"" + empty + "\",\"instancePrompt\":\"a <new1> pot\"}", ""), "concept 1: its picture set is empty");
        cases.put(concept("{\"instancePrompt\":\"a <new1> pot\"}", ""), "concept 1: upload its pictures first");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a pot\"}", ""), "must contain its token <new1>");
        cases.put(concept("{\"images\":\"" + set + "\",\"token\":\"cat\",\"instancePrompt\":\"a cat\"}", ""), "must look like <new1>");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"steps\":0"), "steps must be between 1");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"steps\":\"many\""), "steps must be a whole number");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"resolution\":100"), "multiple of 8");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"learningRate\":-1"), "learningRate");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"model\":\"sd-9\""), "unknown model 'sd-9'");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"freezeModel\":\"everything\""), "a baseline: none (every UNet weight)");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"}", ",\"regularization\":true"), "concept 1: give a class prompt");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\",\"classPrompt\":\"pot\",\"classSource\":\"dataset\"}",
                ",\"regularization\":true"), "choose the set of class pictures");
        cases.put(concept("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\",\"classPrompt\":\"pot\",\"classSource\":\"dataset\",\"classImages\":\""
                + set + "\"}", ",\"regularization\":true"), "must not be the concept's own pictures");
        cases.put("{\"regularization\":false,\"concepts\":[{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new1> pot\"},{\"images\":\""
                + set + "\",\"token\":\"<new1>\",\"instancePrompt\":\"a <new1> cup\"}]}", "concept 2: the token <new1> is used by another concept");
        List<String> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) six.add("{\"images\":\"" + set + "\",\"instancePrompt\":\"a <new" + (i + 1) + "> pot\"}");
        cases.put("{\"regularization\":false,\"concepts\":[" + String.join(",", six) + "]}", "at most 5 concepts");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertThat(api.post("/api/jobs/train", c.getKey()).error(400)).as(c.getKey()).contains(c.getValue());
        }
        assertThat(api.post("/api/jobs/train", concept("{\"images\":\"ds-nope\",\"instancePrompt\":\"a <new1> pot\"}", "")).error(404))
                .contains("no dataset");
        assertThat(api.post("/api/jobs/bake", "{}").error(404)).contains("no job type 'bake'");
        assertThat(api.get("/api/jobs").json()).allMatch(j -> !j.get("type").asText().equals("train") || !j.get("state").asText().equals("failed"));
    }

    static String concept(String concept, String extra) {
        return "{\"model\":\"tiny-sd1\",\"regularization\":false,\"concepts\":[" + concept + "]" + extra + "}";
    }

    @Test
    void runsOneJobAtATimeCancelsResumesAndKeepsServing() throws Exception {
        String setA = potSet(2);
        String a = api.post("/api/jobs/train", shortTraining(setA, "long run", 6)).json().get("id").asText();
        String setB = potSet(1);
        String b = api.post("/api/jobs/train", shortTraining(setB, "second", 2)).json().get("id").asText();
        api.await(a, LONG, "running");
        assertThat(api.get("/api/jobs/" + b).json().get("state").asText()).isEqualTo("queued");

        long t = System.nanoTime();
        assertThat(api.get("/api/info").status()).isEqualTo(200);
        assertThat(api.get("/api/datasets").status()).isEqualTo(200);
        assertThat((System.nanoTime() - t) / 1e9).as("answers while a job runs").isLessThan(3.0);

        assertThat(api.delete("/api/datasets/" + setB).error(409)).contains("uses this set");
        assertThat(api.delete("/api/jobs/" + a).error(409)).contains("cancel it first");
        assertThat(api.post("/api/jobs/" + b + "/cancel", "{}").json().get("state").asText()).isEqualTo("cancelled");

        waitForStep(a, 2);
        api.post("/api/jobs/" + a + "/cancel", "{}");
        JsonNode cancelled = api.await(a, LONG, "cancelled");
        int stoppedAt = cancelled.get("progress").get("step").asInt();
        assertThat(stoppedAt).isBetween(2, 5);
        assertThat(workdir.resolve("jobs").resolve(a).resolve("output").resolve("checkpoints").resolve("checkpoint-" + stoppedAt)).isDirectory();
        assertThat(api.post("/api/jobs/" + a + "/cancel", "{}").error(409)).contains("already finished");

        assertThat(api.post("/api/jobs/" + a + "/resume", "{}").json().get("state").asText()).isIn("queued", "running");
        JsonNode done = api.await(a, LONG, "done");
        assertThat(done.get("attempts").asInt()).isEqualTo(2);
        assertThat(api.get("/api/jobs/" + a + "/metrics").json().get("step").toString()).isEqualTo("[1,2,3,4,5,6]");
        assertThat(api.get("/api/jobs/" + a + "/log").body()).contains("continuing from checkpoint-" + stoppedAt);
        assertThat(api.post("/api/jobs/" + a + "/resume", "{}").error(409)).contains("only a cancelled or failed job");

        assertThat(api.delete("/api/jobs/" + a).status()).isEqualTo(204);
        assertThat(Files.exists(workdir.resolve("jobs").resolve(a))).isFalse();
        api.get("/api/jobs/" + a).error(404);
        api.get("/api/jobs/" + a + "/log").error(404);
        api.get("/api/jobs/" + a + "/metrics").error(404);
        assertThat(api.get("/api/deltas/long-run").status()).as("the delta outlives its job").isEqualTo(200);
    }

    void waitForStep(String id, int step) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            JsonNode p = api.get("/api/jobs/" + id).json().get("progress");
            if ("training".equals(p.path("phase").asText()) && p.path("step").asInt() >= step) return;
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not reach step " + step);
    }

    @Test
    void makesRegularisationPicturesIntoAReusableSet() {
        WebClient.Res r = api.post("/api/jobs/reg-images", Map.of("classPrompt", "clay pot", "count", 2, "steps", 2, "resolution", 64));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = api.await(r.json().get("id").asText(), LONG, "done");
        assertThat(done.get("result").get("made").asInt()).isEqualTo(2);
        String set = done.get("result").get("dataset").asText();
        assertThat(api.get("/api/datasets/" + set).json().get("count").asInt()).isEqualTo(2);
        JsonNode more = api.await(api.post("/api/jobs/reg-images", Map.of("classPrompt", "clay pot", "count", 3, "steps", 2,
                "resolution", 64)).json().get("id").asText(), LONG, "done");
        assertThat(more.get("result").get("dataset").asText()).isEqualTo(set);
        assertThat(more.get("result").get("made").asInt()).isEqualTo(1);
        assertThat(api.post("/api/jobs/reg-images", Map.of("count", 2)).error(400)).contains("classPrompt is required");
        assertThat(api.post("/api/jobs/reg-images", Map.of("classPrompt", "x", "count", 0)).error(400)).contains("count");
    }
}
