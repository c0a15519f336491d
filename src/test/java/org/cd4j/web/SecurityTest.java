package org.cd4j.web;

import org.cd4j.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access token on every API call (header, bearer or the cookie the printed address sets),
 * refusal of cross-site requests, JSON errors for every kind of bad request, and the serve
 * command's own checks.
 */
class SecurityTest extends ServerFixture {
    static final String TOKEN = "test-token-0123456789";

    @Override
    String token() {
        return TOKEN;
    }

    @Test
    void everyApiCallNeedsTheToken() {
        WebClient anon = new WebClient(server.port());
        for (String p : new String[]{"/api/info", "/api/jobs", "/api/datasets", "/api/deltas", "/api/gallery", "/api/events",
                "/api/jobs/job-x", "/api/nothing"}) {
            assertThat(anon.get(p).error(401)).as(p).contains("access token");
        }
        assertThat(anon.post("/api/generate", Map.of("prompt", "x")).error(401)).contains("access token");
        assertThat(anon.delete("/api/deltas/x").status()).isEqualTo(401);
        anon.token = "wrong-token-000000";
        anon.get("/api/info").error(401);
        assertThat(api.get("/api/info").json().get("tokenRequired").asBoolean()).isTrue();
        WebClient.Res bearer = anon.send(HttpRequest.newBuilder(java.net.URI.create(anon.base + "/api/info"))
                .header("Authorization", "Bearer " + TOKEN).GET().build());
        assertThat(bearer.status()).isEqualTo(200);
        assertThat(new WebClient(server.port()).get("/").status()).as("the page itself holds nothing secret").isEqualTo(200);
    }

    @Test
    void thePrintedAddressSetsAnHttpOnlyCookie() {
        assertThat(server.url()).endsWith("/?token=" + TOKEN);
        WebClient anon = new WebClient(server.port());
        anon.get("/?token=wrong").error(401);
        WebClient.Res r = anon.get("/?token=" + TOKEN);
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.raw().headers().firstValue("Location")).hasValue("/");
        String cookie = r.raw().headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith(Guard.COOKIE + "=" + TOKEN).contains("HttpOnly").contains("SameSite=Strict");
        WebClient.Res withCookie = anon.send(HttpRequest.newBuilder(java.net.URI.create(anon.base + "/api/info"))
                .header("Cookie", Guard.COOKIE + "=" + TOKEN).GET().build());
        assertThat(withCookie.status()).isEqualTo(200);
    }

    @Test
    void refusesCrossSiteRequests() {
        WebClient.Res noHeader = api.send(api.req("/api/datasets").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"instance\"}")).build());
        assertThat(noHeader.error(403)).contains("X-Cd4j");
        WebClient.Res evil = api.send(api.req("/api/datasets").header("X-Cd4j", "1").header("Origin", "http://evil.example")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"instance\"}")).build());
        assertThat(evil.error(403)).contains("other web sites");
        WebClient.Res same = api.send(api.req("/api/datasets").header("X-Cd4j", "1").header("Origin", api.base)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"instance\"}")).build());
        assertThat(same.status()).isEqualTo(201);
        assertThat(api.get("/").raw().headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'self'");
    }

    @Test
    void badRequestsGetJsonErrorsWithoutStackTraces() {
        api.get("/api/nothing/here").error(404);
        api.post("/api/datasets", "{broken").error(400);
        api.post("/api/datasets", "").error(400);
        assertThat(api.post("/api/datasets", "{\"name\":\"" + "x".repeat(1_100_000) + "\"}").status()).isIn(400, 413);
        assertThat(api.send(api.req("/api/info").header("X-Cd4j", "1").PUT(HttpRequest.BodyPublishers.noBody()).build()).status())
                .isIn(404, 405);
        api.post("/api/jobs/job-none/cancel", "{}").error(404);
        api.post("/api/jobs/job-none/resume", "{}").error(404);
        api.delete("/api/jobs/job-none").error(404);
        api.get("/api/gallery?limit=abc").error(400);
    }

    @Test
    void withoutATokenOnlyLoopbackHostNamesAreAnswered() throws IOException {
        Path wd = Files.createTempDirectory("cd4j-loopback");
        try (WebServer open = WebServer.start(new ServeOptions("127.0.0.1", 0, java.util.List.of(), wd, null))) {
            assertThat(open.token()).isNull();
            assertThat(open.url()).isEqualTo("http://127.0.0.1:" + open.port() + "/");
            assertThat(rawStatus(open.port(), "localhost:" + open.port())).isEqualTo(200);
            assertThat(rawStatus(open.port(), "127.0.0.1:" + open.port())).isEqualTo(200);
            assertThat(rawStatus(open.port(), "attacker.example:" + open.port())).as("DNS rebinding").isEqualTo(403);
            assertThat(new WebClient(open.port()).post("/api/generate", Map.of("prompt", "x")).error(400)).contains("no model");
        } finally {
            Workdir.deleteTree(wd);
        }
        assertThat(new ServeOptions("0.0.0.0", 0, java.util.List.of(), wd, null).effectiveToken()).as("off loopback a token is made").hasSizeGreaterThan(20);
        assertThat(new ServeOptions("127.0.0.1", 0, java.util.List.of(), wd, null).effectiveToken()).isNull();
    }

    @Test
    void oneServerPerWorkdir() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WebServer.start(new ServeOptions("127.0.0.1", 0, java.util.List.of(), workdir, null)))
                .hasMessageContaining("another cd4j serve is using the workdir");
    }

    @Test
    void theServeCommandChecksItsOptions() throws IOException {
        Path wd = Files.createTempDirectory("cd4j-cli");
        assertThat(Main.run("serve", "--port", "70000", "--workdir", wd.toString())).isEqualTo(2);
        assertThat(Main.run("serve", "--port", "0", "--token", "short", "--workdir", wd.toString())).isEqualTo(2);
        assertThat(Main.run("serve", "--port", "0", "--model", wd.resolve("missing").toString(), "--workdir", wd.toString())).isEqualTo(2);
        Workdir.deleteTree(wd);
    }

    static int rawStatus(int port, String host) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream o = s.getOutputStream();
            o.write(("GET /api/info HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return Integer.parseInt(resp.substring(9, 12));
        }
    }
}
