package org.cd4j.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No request reads or writes outside the workdir: {@code ../}, absolute paths, encoded and
 * double-encoded variants, backslashes, NUL, names in JSON bodies, and symbolic links planted in
 * the workdir are all refused with a JSON error; the secret outside is never served.
 */
class TraversalTest extends ServerFixture {
    static final String SECRET = "top secret outside the workdir";
    Path outside;
    String set;
    String picture;

    @BeforeAll
    void plant() throws IOException {
        outside = Files.createTempDirectory("cd4j-outside");
        Files.writeString(outside.resolve("secret.png"), SECRET);
        Files.writeString(outside.resolve(".dataset.json"), "{\"name\":\"evil\",\"kind\":\"instance\"}");
        Files.writeString(outside.resolve("secret.cd4j.safetensors"), SECRET);
        set = potSet(1);
        picture = api.get("/api/datasets/" + set).json().get("images").get(0).get("name").asText();
        Files.createSymbolicLink(workdir.resolve("datasets").resolve("ds-link"), outside);
        Files.createSymbolicLink(workdir.resolve("datasets").resolve(set).resolve("link.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(workdir.resolve("deltas").resolve("leak.cd4j.safetensors"), outside.resolve("secret.cd4j.safetensors"));
        Files.createSymbolicLink(workdir.resolve("gallery").resolve("leak.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(workdir.resolve("jobs").resolve("job-link"), outside);
    }

    @AfterAll
    void removeOutside() throws IOException {
        Workdir.deleteTree(outside);
    }

    /** Sends the path exactly as written (no client-side normalisation) and returns status + body. */
    String[] raw(String method, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream o = s.getOutputStream();
            o.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nX-Cd4j: 1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String status = resp.substring(9, 12);
            String body = resp.contains("\r\n\r\n") ? resp.substring(resp.indexOf("\r\n\r\n") + 4) : "";
            return new String[]{status, body};
        }
    }

    @Test
    void refusesTraversalInEveryPathParameter() throws IOException {
        List<String> paths = List.of(
                "/api/datasets/../../../etc/passwd",
                "/api/datasets/%2e%2e%2f%2e%2e%2fetc",
                "/api/datasets/..%2F..%2Fetc",
                "/api/datasets/%252e%252e%252fetc",
                "/api/datasets/..%5c..%5cetc",
                "/api/datasets/%2Fetc",
                "/api/datasets/ds-link",
                "/api/datasets/" + set + "/images/..%2F..%2F..%2Fjobs",
                "/api/datasets/" + set + "/images/%2Fetc%2Fpasswd",
                "/api/datasets/" + set + "/images/link.png",
                "/api/datasets/" + set + "/images/link.png?thumb=1",
                "/api/datasets/" + set + "/images/.dataset.json",
                "/api/datasets/" + set + "/images/.thumbs",
                "/api/gallery/..%2F..%2Fetc%2Fpasswd",
                "/api/gallery/..%5C..%5Csecret.png",
                "/api/gallery/leak.png",
                "/api/deltas/..%2F..%2Fsecret/file",
                "/api/deltas/leak/file",
                "/api/deltas/leak",
                "/api/jobs/..%2F..%2Fdatasets",
                "/api/jobs/job-link",
                "/api/jobs/job-link/log",
                "/api/jobs/%2e%2e/log",
                "/api/jobs/job-x/validation/..%2F..%2Fjob.json",
                "/api/jobs/%00/log",
                "/../../../etc/passwd",
                "/%2e%2e/%2e%2e/etc/passwd",
                "/..%2f..%2forg/cd4j/web/WebServer.class",
                "/WebServer.class",
                "/public/index.html/../../WebServer.class");
        for (String p : paths) {
            String[] r = raw("GET", p);
            assertThat(Integer.parseInt(r[0])).as(p + " -> " + r[1]).isBetween(400, 404);
            assertThat(r[1]).as(p).doesNotContain(SECRET).doesNotContain("root:").doesNotContain("\tat ").startsWith("{\"error\"");
        }
        for (String p : List.of("/api/datasets/ds-link", "/api/datasets/" + set + "/images/link.png", "/api/deltas/leak",
                "/api/gallery/leak.png", "/api/jobs/job-link", "/api/datasets/..%2F..%2Ftmp")) {
            String[] r = raw("DELETE", p);
            assertThat(Integer.parseInt(r[0])).as("DELETE " + p + " -> " + r[1]).isBetween(400, 404);
        }
        assertThat(outside.resolve("secret.png")).hasContent(SECRET);
        assertThat(outside.resolve("secret.cd4j.safetensors")).hasContent(SECRET);
    }

    @Test
    void listingsSkipLinks() {
        assertThat(api.get("/api/datasets").body()).doesNotContain("ds-link").doesNotContain("evil");
        assertThat(api.get("/api/deltas").json().findValuesAsText("name")).doesNotContain("leak");
        assertThat(api.get("/api/gallery").body()).doesNotContain("leak");
        assertThat(api.get("/api/jobs").body()).doesNotContain("job-link");
        assertThat(api.get("/api/datasets/" + set).json().get("images").findValuesAsText("name")).containsExactly(picture);
    }

    @Test
    void refusesTraversalInJsonBodies() {
        for (String bad : List.of("../../etc", "/etc", "..", "ds-link", "%2e%2e", "a/b", "a\\b")) {
            Map<String, Object> req = shortTraining(bad, "x", 1);
            assertThat(api.post("/api/jobs/train", req).status()).as(bad).isIn(400, 404);
            assertThat(api.post("/api/generate", Map.of("prompt", "x", "deltas", List.of(Map.of("name", bad)))).status()).as(bad).isIn(400, 404);
            assertThat(api.post("/api/jobs/compress", Map.of("delta", bad)).status()).as(bad).isIn(400, 404);
            assertThat(api.post("/api/jobs/reg-images", Map.of("classPrompt", "pot", "dataset", bad)).status()).as(bad).isIn(400, 404);
            assertThat(api.post("/api/jobs/train", Map.of("model", bad, "concepts", List.of())).status()).as(bad).isEqualTo(400);
        }
        assertThat(api.patch("/api/deltas/leak", Map.of("name", "x")).status()).isIn(400, 404);
        assertThat(api.get("/api/jobs").json()).isEmpty();
    }
}
