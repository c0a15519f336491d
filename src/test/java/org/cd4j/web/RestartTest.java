package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance test for restarts: a server killed (SIGKILL) in the middle of a training is
 * started again on the same workdir, the job continues from its last checkpoint and ends with the
 * same delta as an uninterrupted run; an orderly stop checkpoints at once and resumes the same way.
 */
class RestartTest {
    static final Duration LONG = Duration.ofMinutes(5);
    static final int STEPS = 8;

    static String potSet(WebClient api) {
        String id = api.post("/api/datasets", Map.of("kind", "instance")).json().get("id").asText();
        List<WebClient.Part> parts = ServerFixture.potImages().subList(0, 3).stream().map(WebClient.Part::of).toList();
        assertThat(api.upload("/api/datasets/" + id + "/images", parts, Map.of()).status()).isEqualTo(200);
        return id;
    }

    static String startTraining(WebClient api, String name) {
        WebClient.Res r = api.post("/api/jobs/train", ServerFixture.shortTraining(potSet(api), name, STEPS));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("id").asText();
    }

    static void waitForCheckpoint(Path workdir, String job, int atLeast) throws InterruptedException {
        Path cps = workdir.resolve("jobs").resolve(job).resolve("output").resolve("checkpoints");
        for (int i = 0; i < 3000; i++) {
            if (Files.isDirectory(cps.resolve("checkpoint-" + atLeast))) return;
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint-" + atLeast + " for " + job);
    }

    @Test
    void aKilledServerLosesNothingAndTheJobFinishes() throws Exception {
        Path wd = Files.createTempDirectory("cd4j-kill");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp", System.getProperty("java.class.path"),
                "org.cd4j.cli.Main", "serve", "--port", "0", "--model", Fixtures.tinySd1().toString(), "--workdir", wd.toString())
                .redirectErrorStream(true).start();
        String job;
        try {
            int port = portOf(p);
            WebClient api = new WebClient(port);
            job = startTraining(api, "killed");
            waitForCheckpoint(wd, job, 3);
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        JsonNode onDisk = WebClient.JSON.readTree(wd.resolve("jobs").resolve(job).resolve("job.json").toFile());
        assertThat(onDisk.get("state").asText()).as("the killed server left the job running").isEqualTo("running");

        try (WebServer again = WebServer.start(new ServeOptions("127.0.0.1", 0, List.of(Fixtures.tinySd1()), wd, null))) {
            WebClient api = new WebClient(again.port());
            JsonNode done = api.await(job, LONG, "done");
            assertThat(done.get("attempts").asInt()).isEqualTo(2);
            String log = api.get("/api/jobs/" + job + "/log").body();
            assertThat(log).contains("the server stopped while this job ran").containsPattern("continuing from checkpoint-[3-7]");
            assertThat(api.get("/api/jobs/" + job + "/metrics").json().get("step").toString()).isEqualTo("[1,2,3,4,5,6,7,8]");

            String fresh = startTraining(api, "uninterrupted");
            api.await(fresh, LONG, "done");
            assertThat(Cd4jDeltaFile.read(wd.resolve("deltas/killed.cd4j.safetensors"))
                    .sameTensors(Cd4jDeltaFile.read(wd.resolve("deltas/uninterrupted.cd4j.safetensors"))))
                    .as("the resumed run's delta equals an uninterrupted run's, bit for bit").isTrue();
        } finally {
            Workdir.deleteTree(wd);
        }
    }

    @Test
    void anOrderlyStopCheckpointsAndTheNextStartContinues() throws Exception {
        Path wd = Files.createTempDirectory("cd4j-stop");
        String job;
        try (WebServer first = WebServer.start(new ServeOptions("127.0.0.1", 0, List.of(Fixtures.tinySd1()), wd, null))) {
            WebClient api = new WebClient(first.port());
            Map<String, Object> req = new java.util.HashMap<>(ServerFixture.shortTraining(potSet(api), "stopped", STEPS));
            req.put("checkpointingSteps", 0); // only the stop itself writes a checkpoint
            job = api.post("/api/jobs/train", req).json().get("id").asText();
            for (int i = 0; i < 3000 && api.get("/api/jobs/" + job).json().get("progress").path("step").asInt() < 2; i++) Thread.sleep(100);
        }
        JsonNode onDisk = WebClient.JSON.readTree(wd.resolve("jobs").resolve(job).resolve("job.json").toFile());
        assertThat(onDisk.get("state").asText()).isEqualTo("queued");
        try (WebServer second = WebServer.start(new ServeOptions("127.0.0.1", 0, List.of(Fixtures.tinySd1()), wd, null))) {
            WebClient api = new WebClient(second.port());
            JsonNode done = api.await(job, LONG, "done");
            assertThat(api.get("/api/jobs/" + job + "/log").body()).contains("stopped for a server shutdown").contains("continuing from checkpoint-");
            assertThat(api.get("/api/jobs/" + job + "/metrics").json().get("step")).hasSize(STEPS);
            assertThat(done.get("result").get("delta").asText()).isEqualTo("stopped");
        } finally {
            Workdir.deleteTree(wd);
        }
    }

    /** Reads the port from the "open http://127.0.0.1:PORT/" line; keeps draining the output after. */
    static int portOf(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Pattern open = Pattern.compile("open http://127\\.0\\.0\\.1:(\\d+)/");
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = open.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (r.readLine() != null) { /* keep the pipe from filling */ }
                    } catch (IOException e) {
                        // the process ended
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("the server did not start:\n" + seen);
    }
}
