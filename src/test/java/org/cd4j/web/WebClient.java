package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A java.net.http client for the web app's API in tests, with multipart uploads and job waiting. */
final class WebClient {
    static final ObjectMapper JSON = new ObjectMapper();

    final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    String token;

    WebClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** A response with its body as text and, when it is JSON, parsed. */
    record Res(int status, String body, HttpResponse<byte[]> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body);
            }
        }

        /** Asserts an error status with a JSON message and no stack trace; returns the message. */
        String error(int expected) {
            assertThat(status).as(body).isEqualTo(expected);
            String m = json().path("error").asText();
            assertThat(m).as("error message").isNotBlank();
            assertThat(body).doesNotContain("\tat ").doesNotContain("Exception").doesNotContain("<html");
            return m;
        }
    }

    HttpRequest.Builder req(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (token != null) b.header("X-Cd4j-Token", token);
        return b;
    }

    Res send(HttpRequest r) {
        try {
            HttpResponse<byte[]> resp = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
            return new Res(resp.statusCode(), new String(resp.body(), StandardCharsets.UTF_8), resp);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(r.uri() + ": " + e, e);
        }
    }

    Res get(String path) {
        return send(req(path).GET().build());
    }

    Res post(String path, String json) {
        return send(req(path).header("X-Cd4j", "1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    Res post(String path, Object json) {
        try {
            return post(path, JSON.writeValueAsString(json));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    Res patch(String path, Object json) {
        try {
            return send(req(path).header("X-Cd4j", "1").header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json))).build());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    Res delete(String path) {
        return send(req(path).header("X-Cd4j", "1").DELETE().build());
    }

    /** One file of a multipart upload: the name the client gives and the bytes. */
    record Part(String filename, byte[] bytes) {
        static Part of(Path p) {
            try {
                return new Part(p.getFileName().toString(), Files.readAllBytes(p));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    Res upload(String path, List<Part> files, Map<String, String> fields) {
        String boundary = "cd4jtest" + System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (Map.Entry<String, String> f : fields.entrySet()) {
                out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"\r\n\r\n"
                        + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            for (Part p : files) {
                out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + p.filename()
                        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(p.bytes());
                out.write("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            out.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return send(req(path).header("X-Cd4j", "1").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build());
    }

    /** Polls a job until it reaches one of {@code states}; fails with its log otherwise. */
    JsonNode await(String jobId, Duration timeout, String... states) {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode j = null;
        while (System.nanoTime() < end) {
            j = get("/api/jobs/" + jobId).json();
            for (String s : states) if (s.equals(j.path("state").asText())) return j;
            if (j.path("state").asText().equals("failed") && !List.of(states).contains("failed")) break;
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("job " + jobId + " did not reach " + List.of(states) + ": " + j + "\nlog: " + get("/api/jobs/" + jobId + "/log").body());
    }
}
