package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.io.Png;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/generate} and {@code /api/gallery}: pictures with deltas, parameters in the PNG, and bad input. */
class GenerateApiTest extends ServerFixture {
    String delta;

    @BeforeAll
    void trainDelta() {
        delta = train("gen pot", 3).get("result").get("delta").asText();
    }

    Map<String, Object> request(long seed, List<Map<String, Object>> deltas) {
        Map<String, Object> r = new HashMap<>(Map.of("prompt", "photo of a <new1> pot", "steps", 2, "width", 64, "height", 64,
                "count", 1, "seed", seed, "deltas", deltas));
        return r;
    }

    JsonNode generate(Map<String, Object> req) {
        WebClient.Res r = api.post("/api/generate", req);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return api.await(r.json().get("id").asText(), Duration.ofMinutes(3), "done");
    }

    BufferedImage picture(JsonNode item) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(api.get(item.get("url").asText()).raw().body()));
    }

    @Test
    void generatesWithDeltasIntoTheGalleryWithParametersInThePng() throws Exception {
        Map<String, Object> req = request(7, List.of(Map.of("name", delta, "strength", 0.8)));
        req.put("count", 2);
        req.put("sampler", "ddim");
        req.put("eta", 0.5);
        req.put("negativePrompt", "blurry");
        JsonNode done = generate(req);
        JsonNode images = done.get("result").get("images");
        assertThat(images).hasSize(2);
        assertThat(images.get(0).get("params").get("seed").asLong()).isEqualTo(7);
        assertThat(images.get(1).get("params").get("seed").asLong()).isEqualTo(8);
        assertThat(api.get("/api/gallery").json().findValuesAsText("id")).contains(images.get(0).get("id").asText());

        WebClient.Res png = api.get(images.get(0).get("url").asText());
        assertThat(png.raw().headers().firstValue("Content-Type")).hasValue("image/png");
        Path f = Files.createTempFile("cd4j", ".png");
        Files.write(f, png.raw().body());
        Map<String, String> text = Png.readText(f);
        assertThat(text.get("parameters")).startsWith("photo of a <new1> pot\nNegative prompt: blurry\nSteps: 2, Sampler: ddim")
                .contains("Seed: 7").contains("Size: 64x64").contains("Eta: 0.5").contains("Deltas: gen-pot:0.8");
        JsonNode p = WebClient.JSON.readTree(text.get("cd4j-parameters"));
        assertThat(p.get("deltas").get(0).get("tokens").get(0).asText()).isEqualTo("<new1>");
        Files.delete(f);
        WebClient.Res dl = api.get(images.get(0).get("download").asText());
        assertThat(dl.raw().headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment; filename=\"cd4j-img-");

        String file = images.get(1).get("id").asText() + ".png";
        assertThat(api.delete("/api/gallery/" + file).status()).isEqualTo(204);
        api.get("/api/gallery/" + file).error(404);
        api.delete("/api/gallery/" + file).error(404);
    }

    @Test
    void aSeedReproducesItsPictureAndTheBaseModelIsRestoredAfterADelta() throws Exception {
        BufferedImage plain = picture(generate(request(3, List.of())).get("result").get("images").get(0));
        BufferedImage with = picture(generate(request(3, List.of(Map.of("name", delta, "strength", 1.0)))).get("result").get("images").get(0));
        BufferedImage after = picture(generate(request(3, List.of())).get("result").get("images").get(0));
        assertThat(same(plain, after)).as("same seed, same picture: the delta was taken off again").isTrue();
        assertThat(same(plain, with)).as("the delta changes the picture").isFalse();
        JsonNode rnd = generate(new HashMap<>(Map.of("prompt", "a pot", "steps", 1, "width", 64, "height", 64, "seed", "random")));
        assertThat(rnd.get("params").get("seed").asLong()).isBetween(0L, 0xffffffffL);
    }

    static boolean same(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) return false;
        for (int y = 0; y < a.getHeight(); y++) for (int x = 0; x < a.getWidth(); x++) if (a.getRGB(x, y) != b.getRGB(x, y)) return false;
        return true;
    }

    @Test
    void refusesADeltaOfAnotherBaseModelUnlessForced() throws Exception {
        ConceptDelta d = Cd4jDeltaFile.read(workdir.resolve("deltas").resolve(delta + ".cd4j.safetensors"));
        ConceptDelta other = d.withInfo(d.info().withBaseModel("0".repeat(64), "another-model"));
        Cd4jDeltaFile.write(workdir.resolve("deltas").resolve("foreign.cd4j.safetensors"), other, false);
        WebClient.Res r = api.post("/api/generate", request(1, List.of(Map.of("name", "foreign"))));
        JsonNode failed = api.await(r.json().get("id").asText(), Duration.ofMinutes(3), "failed");
        assertThat(failed.get("error").asText()).contains("trained on another base model");
        Map<String, Object> forced = request(1, List.of(Map.of("name", "foreign")));
        forced.put("force", true);
        JsonNode ok = generate(forced);
        assertThat(api.get("/api/jobs/" + ok.get("id").asText() + "/log").body()).contains("applying it anyway");
    }

    @Test
    void theEventStreamTellsEveryPageAboutJobsAndPictures() throws Exception {
        java.net.http.HttpRequest req = api.req("/api/events").header("Accept", "text/event-stream").GET().build();
        java.net.http.HttpResponse<java.util.stream.Stream<String>> resp =
                api.http.send(req, java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> resp.body().forEach(lines::add));
        reader.setDaemon(true);
        reader.start();
        assertThat(lines.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("event: hello");
        String id = api.post("/api/generate", request(11, List.of())).json().get("id").asText();
        java.util.Set<String> seen = new java.util.HashSet<>();
        String event = null;
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < end && !(seen.contains("job:done") && seen.contains("image:generated"))) {
            String line = lines.poll(1, java.util.concurrent.TimeUnit.SECONDS);
            if (line == null) continue;
            if (line.startsWith("event: ")) event = line.substring(7);
            if (line.startsWith("data: ") && line.contains(id)) {
                JsonNode d = WebClient.JSON.readTree(line.substring(6));
                if ("job".equals(event)) seen.add("job:" + d.get("state").asText());
                if ("image".equals(event)) seen.add("image:" + d.get("kind").asText());
                if ("job".equals(event) && d.get("progress").has("step")) seen.add("progress");
            }
        }
        assertThat(seen).contains("job:running", "progress", "image:generated", "job:done");
        resp.body().close();
    }

    @Test
    void refusesBadGenerationRequests() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{}", "prompt is required");
        cases.put("{\"prompt\":\"  \"}", "prompt is required");
        cases.put("{\"prompt\":\"x\",\"sampler\":\"magic\"}", "unknown sampler 'magic'");
        cases.put("{\"prompt\":\"x\",\"sampler\":\"pndm\",\"eta\":0.5}", "eta applies to the ddim sampler only");
        cases.put("{\"prompt\":\"x\",\"sampler\":\"ddim\",\"karras\":true}", "Karras");
        cases.put("{\"prompt\":\"x\",\"width\":100}", "width must be a multiple of 8");
        cases.put("{\"prompt\":\"x\",\"height\":4096}", "height must be between 64 and 2048");
        cases.put("{\"prompt\":\"x\",\"count\":0}", "count must be between 1 and 16");
        cases.put("{\"prompt\":\"x\",\"count\":17}", "count must be between 1 and 16");
        cases.put("{\"prompt\":\"x\",\"steps\":0}", "steps must be between 1 and 500");
        cases.put("{\"prompt\":\"x\",\"guidance\":99}", "guidance must be between 0");
        cases.put("{\"prompt\":\"x\",\"eta\":2}", "eta must be between 0");
        cases.put("{\"prompt\":\"x\",\"seed\":-5}", "seed must be a whole number");
        cases.put("{\"prompt\":\"x\",\"seed\":\"abc\"}", "seed must be a whole number");
        cases.put("{\"prompt\":\"x\",\"seed\":99999999999}", "seed must be a whole number");
        cases.put("{\"prompt\":\"x\",\"model\":\"sd-xl\"}", "unknown model 'sd-xl'");
        cases.put("{\"prompt\":\"x\",\"deltas\":\"all\"}", "deltas must be a list");
        cases.put("{\"prompt\":\"x\",\"deltas\":[{\"name\":\"gen-pot\",\"strength\":5}]}", "strength must be between -2.0 and 2.0");
        cases.put("{\"prompt\":\"x\",\"deltas\":[{\"name\":\"gen-pot\"},{\"name\":\"gen-pot\"}]}", "chosen twice");
        cases.put("{\"prompt\":\"x\",\"deltas\":[{\"name\":\"no such\"}]}", "invalid delta name");
        cases.put("{\"prompt\":" + WebClient.JSON.valueToTree("x".repeat(2001)) + "}", "prompt is too long");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertThat(api.post("/api/generate", c.getKey()).error(400)).as(c.getKey()).contains(c.getValue());
        }
        assertThat(api.post("/api/generate", "{\"prompt\":\"x\",\"deltas\":[{\"name\":\"ghost\"}]}").error(404)).contains("no delta 'ghost'");
        api.get("/api/gallery/nothing.png").error(404);
        api.get("/api/gallery/nothing.jpg").error(404);
        api.get("/api/gallery?limit=0").error(400);
    }
}
