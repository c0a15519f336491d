package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One web server per test class on an ephemeral port, over a fresh workdir, with the tiny-sd1
 * model; helpers to make image sets and train a short delta (64 px, 3 steps) on it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServerFixture {
    Path workdir;
    WebServer server;
    WebClient api;

    static Path tinySd1() {
        return Fixtures.tinySd1();
    }

    static List<Path> potImages() {
        try (Stream<Path> s = Files.list(Fixtures.path("custom_diffusion/data/pot/instance"))) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The token the server requires (null: none). */
    String token() {
        return null;
    }

    /** The picture collections the server offers (none unless a test class says so). */
    List<Path> collections() {
        return List.of();
    }

    @BeforeAll
    void startServer() throws IOException {
        workdir = Files.createTempDirectory("cd4j-web-test");
        server = WebServer.start(new ServeOptions("127.0.0.1", 0, List.of(tinySd1()), workdir, token(), collections()));
        api = new WebClient(server.port());
        api.token = token();
    }

    @AfterAll
    void stopServer() throws IOException {
        if (server != null) server.close();
        Workdir.deleteTree(workdir);
    }

    /** A new instance set holding the first {@code n} pot pictures; returns its id. */
    String potSet(int n) {
        String id = api.post("/api/datasets", Map.of("kind", "instance", "name", "pot")).json().get("id").asText();
        List<WebClient.Part> parts = new ArrayList<>();
        for (Path p : potImages().subList(0, n)) parts.add(WebClient.Part.of(p));
        WebClient.Res r = api.upload("/api/datasets/" + id + "/images", parts, Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("added")).hasSize(n);
        return id;
    }

    /** The request for a short training on tiny-sd1 (64 px, no regularisation, no validation). */
    static Map<String, Object> shortTraining(String dataset, String name, int steps) {
        return Map.of("model", "tiny-sd1", "name", name, "regularization", false, "steps", steps, "resolution", 64,
                "batchSize", 1, "validationPrompt", "", "checkpointingSteps", 1,
                "concepts", List.of(Map.of("images", dataset, "instancePrompt", "photo of a <new1> pot", "classPrompt", "pot")));
    }

    /** Trains a short delta and returns the finished job. */
    JsonNode train(String name, int steps) {
        return train(name, steps, 42);
    }

    /** Trains a short delta with a seed (same seed and pictures: the same delta) and returns the finished job. */
    JsonNode train(String name, int steps, int seed) {
        Map<String, Object> req = new java.util.HashMap<>(shortTraining(potSet(3), name, steps));
        req.put("seed", seed);
        WebClient.Res r = api.post("/api/jobs/train", req);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return api.await(r.json().get("id").asText(), Duration.ofMinutes(5), "done");
    }
}
