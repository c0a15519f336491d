package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.concept.retrieve.FakeKnnServer;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code POST /api/jobs/retrieve-images}: real class pictures from a (fake) knn service and from
 * a collection the server was started with, into a class set that a training then uses with its
 * own captions; bad requests are refused before anything is queued, a failed retrieval leaves no
 * empty set behind, and a retrieved set is kept whole.
 */
class RetrieveApiTest extends ServerFixture {
    static final Duration LONG = Duration.ofMinutes(5);
    static final Path POT_CLASS = Fixtures.path("custom_diffusion/data/pot/class");
    FakeKnnServer fake;

    @Override
    List<Path> collections() {
        return List.of(POT_CLASS);
    }

    @BeforeAll
    void startService() throws IOException {
        fake = FakeKnnServer.start();
        List<FakeKnnServer.Result> r = new ArrayList<>();
        r.add(new FakeKnnServer.Result(fake.img("gone.png"), "a missing pot", 0.4));
        for (int i = 0; i < 3; i++) {
            fake.picture(i + ".png", FakeKnnServer.png(24, 24, 40 + i));
            r.add(new FakeKnnServer.Result(fake.img(i + ".png"), "a pot, picture " + i, 0.3));
        }
        fake.results(r);
    }

    @AfterAll
    void stopService() {
        fake.close();
    }

    Map<String, Object> fromService(int count) {
        return new HashMap<>(Map.of("classPrompt", "pot", "count", count, "source", "service", "service", fake.serviceUrl(),
                "safety", false, "aesthetic", false));
    }

    @Test
    void retrievesFromAServiceIntoASetThatATrainingUses() throws IOException {
        WebClient.Res r = api.post("/api/jobs/retrieve-images", fromService(3));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = api.await(r.json().get("id").asText(), LONG, "done");
        String set = done.get("result").get("dataset").asText();
        assertThat(done.get("result").get("count").asInt()).isEqualTo(3);
        assertThat(done.get("result").get("summary").asText()).startsWith("kept 3 of 3 pictures; fetched ");
        JsonNode q = fake.queries().get(fake.queries().size() - 1);
        assertThat(q.get("use_safety_model").asBoolean()).isFalse();
        assertThat(q.get("aesthetic_score").asText()).isEmpty();

        JsonNode ds = api.get("/api/datasets/" + set).json();
        assertThat(ds.get("kind").asText()).isEqualTo("class");
        assertThat(ds.get("retrieved").asBoolean()).isTrue();
        assertThat(ds.get("count").asInt()).isEqualTo(3);
        assertThat(ds.get("images")).extracting(i -> i.get("name").asText()).containsExactly("0.png", "1.png", "2.png");
        assertThat(api.get("/api/datasets/" + set + "/images/1.png").raw().body()).isEqualTo(FakeKnnServer.png(24, 24, 41));
        assertThat(api.get("/api/datasets/" + set + "/images/1.png?thumb=1").status()).isEqualTo(200);
        Path dir = workdir.resolve("datasets").resolve(set);
        assertThat(Files.readAllLines(dir.resolve("caption.txt"))).containsExactly("a pot, picture 0", "a pot, picture 1", "a pot, picture 2");
        assertThat(api.delete("/api/datasets/" + set + "/images/1.png").error(409)).contains("a retrieved set is kept whole");
        assertThat(api.upload("/api/datasets/" + set + "/images", List.of(WebClient.Part.of(potImages().get(0))), Map.of()).error(409))
                .contains("a retrieved set is kept whole");

        Map<String, Object> train = new HashMap<>(shortTraining(potSet(2), "pot with real prior", 1));
        train.put("regularization", true);
        train.put("numClassImages", 3);
        train.put("concepts", List.of(Map.of("images", potSet(2), "instancePrompt", "photo of a <new1> pot", "classPrompt", "pot",
                "classSource", "dataset", "classImages", set)));
        WebClient.Res t = api.post("/api/jobs/train", train);
        assertThat(t.status()).as(t.body()).isEqualTo(202);
        String job = api.await(t.json().get("id").asText(), LONG, "done").get("id").asText();
        assertThat(api.get("/api/jobs/" + job + "/log").body()).contains("3 class image(s)").doesNotContain("generating");
    }

    @Test
    void retrievesFromAServerCollectionRankedByTheModel() throws IOException {
        assertThat(api.get("/api/info").json().get("collections")).extracting(c -> c.get("id").asText()).containsExactly("class");
        WebClient.Res r = api.post("/api/jobs/retrieve-images", Map.of("classPrompt", "clay pot", "count", 2, "source", "collection",
                "collection", "class"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("params").get("model").asText()).isEqualTo("tiny-sd1");
        JsonNode done = api.await(r.json().get("id").asText(), LONG, "done");
        Path dir = workdir.resolve("datasets").resolve(done.get("result").get("dataset").asText());
        assertThat(Files.readAllLines(dir.resolve("caption.txt"))).containsExactly("clay pot", "clay pot");
        assertThat(Files.readAllBytes(dir.resolve("images/0.jpg"))).isEqualTo(Files.readAllBytes(POT_CLASS.resolve("images/2.jpg")));
        String log = api.get("/api/jobs/" + done.get("id").asText() + "/log").body();
        assertThat(log).contains("collection class").doesNotContain(POT_CLASS.toString()).doesNotContain(workdir.toString());
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingIsQueued() {
        int sets = api.get("/api/datasets").json().size();
        assertThat(api.post("/api/jobs/retrieve-images", Map.of("count", 2, "source", "service", "service", fake.serviceUrl())).error(400))
                .contains("classPrompt is required");
        assertThat(api.post("/api/jobs/retrieve-images", Map.of("classPrompt", "pot", "source", "web")).error(400)).contains("source must be");
        assertThat(api.post("/api/jobs/retrieve-images", Map.of("classPrompt", "pot", "source", "service", "service", "localhost:1234"))
                .error(400)).contains("the service address 'localhost:1234' is not an http(s) address");
        assertThat(api.post("/api/jobs/retrieve-images", Map.of("classPrompt", "pot", "source", "collection", "collection", "../etc"))
                .error(400)).contains("unknown collection");
        Map<String, Object> zero = fromService(0);
        assertThat(api.post("/api/jobs/retrieve-images", zero).error(400)).contains("count");
        assertThat(api.get("/api/datasets").json().size()).as("no set made for a refused request").isEqualTo(sets);
    }

    @Test
    void collectionsAreCheckedAtStartAndNamedByFolder() {
        assertThatThrownBy(() -> CollectionRegistry.of(List.of(workdir.resolve("nope"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--collection " + workdir.resolve("nope") + " is not a folder");
        CollectionRegistry two = CollectionRegistry.of(List.of(POT_CLASS, Fixtures.path("custom_diffusion/data/ball/class")));
        assertThat(two.all()).extracting(CollectionRegistry.Collection::id).containsExactly("class", "class-2");
    }

    @Test
    void aFailedRetrievalReportsTheServiceAndLeavesNoEmptySet() {
        try (FakeKnnServer broken = FakeKnnServer.start()) {
            broken.serviceAnswers(404, "not here");
            Map<String, Object> req = fromService(2);
            req.put("service", broken.serviceUrl());
            WebClient.Res r = api.post("/api/jobs/retrieve-images", req);
            String set = r.json().get("params").get("dataset").asText();
            JsonNode failed = api.await(r.json().get("id").asText(), LONG, "failed");
            assertThat(failed.get("error").asText()).contains("the knn service at " + broken.serviceUrl()).contains("HTTP 404");
            assertThat(api.get("/api/datasets/" + set).status()).isEqualTo(404);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
