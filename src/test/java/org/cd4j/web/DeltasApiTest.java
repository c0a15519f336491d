package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.DeltaFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/deltas}: upload in every format, download, rename, delete; compress and merge jobs. */
class DeltasApiTest extends ServerFixture {
    String trained;
    Path trainedFile;

    @BeforeAll
    void trainDelta() {
        trained = train("lib pot", 3).get("result").get("delta").asText();
        trainedFile = workdir.resolve("deltas").resolve(trained + ".cd4j.safetensors");
    }

    @Test
    void uploadsEveryFormatAndKeepsItAsACd4jDelta() throws Exception {
        ConceptDelta d = Cd4jDeltaFile.read(trainedFile);
        Path tmp = Files.createTempDirectory("cd4j-formats");
        WebClient.Res cd4j = api.upload("/api/deltas", List.of(new WebClient.Part("my concept.cd4j.safetensors", Files.readAllBytes(trainedFile))), Map.of());
        assertThat(cd4j.status()).as(cd4j.body()).isEqualTo(201);
        assertThat(cd4j.json().get("name").asText()).isEqualTo("my-concept");
        assertThat(cd4j.json().get("format").asText()).isEqualTo("cd4j");

        Path adobe = tmp.resolve("delta.bin");
        DeltaFiles.save(d, DeltaFormat.ADOBE, adobe, null, false);
        WebClient.Res a = api.upload("/api/deltas", List.of(WebClient.Part.of(adobe)), Map.of("name", "from_adobe"));
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        assertThat(a.json().get("format").asText()).isEqualTo("adobe");
        assertThat(a.json().get("tokens").toString()).isEqualTo("[\"<new1>\"]");
        assertThat(Cd4jDeltaFile.read(workdir.resolve("deltas/from_adobe.cd4j.safetensors")).sameTensors(d)).as("lossless").isTrue();

        Path diff = tmp.resolve("diffusers");
        Files.createDirectories(diff);
        List<WebClient.Part> parts = new ArrayList<>();
        for (Path p : DeltaFiles.save(d, DeltaFormat.DIFFUSERS, diff, null, false)) parts.add(WebClient.Part.of(p));
        assertThat(parts).hasSizeGreaterThanOrEqualTo(2);
        WebClient.Res df = api.upload("/api/deltas", parts, Map.of("name", "from-diffusers"));
        assertThat(df.status()).as(df.body()).isEqualTo(201);
        assertThat(df.json().get("format").asText()).isEqualTo("diffusers");
        assertThat(df.json().get("tokens").toString()).isEqualTo("[\"<new1>\"]");

        Path weights = parts.stream().map(p -> diff.resolve(p.filename())).filter(p -> p.getFileName().toString().startsWith("pytorch")).findFirst().orElseThrow();
        WebClient.Res alone = api.upload("/api/deltas", List.of(WebClient.Part.of(weights)), Map.of("name", "no-tokens"));
        assertThat(alone.status()).isEqualTo(201);
        assertThat(alone.json().get("warnings").get(0).asText()).contains("no token file");
        assertThat(alone.body()).doesNotContain(workdir.toString());
        Workdir.deleteTree(tmp);
    }

    @Test
    void refusesWhatIsNotADelta() throws Exception {
        assertThat(api.upload("/api/deltas", List.of(new WebClient.Part("cat.safetensors", "garbage, not a delta".getBytes())), Map.of())
                .error(400)).contains("'cat.safetensors'").contains("not a delta").doesNotContain(workdir.toString());
        Path tokenFile = Files.createTempDirectory("cd4j-token").resolve("<new1>.safetensors");
        Path diff = tokenFile.getParent().resolve("d");
        Files.createDirectories(diff);
        for (Path p : DeltaFiles.save(Cd4jDeltaFile.read(trainedFile), DeltaFormat.DIFFUSERS, diff, null, false)) {
            if (p.getFileName().toString().equals("<new1>.safetensors")) Files.copy(p, tokenFile);
        }
        assertThat(api.upload("/api/deltas", List.of(WebClient.Part.of(tokenFile)), Map.of()).error(400)).contains("token-embedding file");
        byte[] bytes = Files.readAllBytes(trainedFile);
        assertThat(api.upload("/api/deltas", List.of(new WebClient.Part("a.bin", bytes), new WebClient.Part("b.bin", bytes)), Map.of())
                .error(400)).contains("several delta files");
        assertThat(api.upload("/api/deltas", List.of(new WebClient.Part("e.bin", new byte[0])), Map.of()).error(400)).contains("empty");
        assertThat(api.upload("/api/deltas", List.of(new WebClient.Part("x.bin", bytes)), Map.of("name", "../../x")).error(400)).contains("invalid delta name");
        assertThat(api.upload("/api/deltas", List.of(), Map.of("name", "x")).error(400)).contains("no file");
        assertThat(api.post("/api/deltas", "{}").error(400)).contains("multipart");
        Workdir.deleteTree(tokenFile.getParent());
    }

    @Test
    void downloadsRenamesAndDeletes() throws Exception {
        api.upload("/api/deltas", List.of(new WebClient.Part("rn.cd4j.safetensors", Files.readAllBytes(trainedFile))), Map.of());
        WebClient.Res dl = api.get("/api/deltas/rn/file");
        assertThat(dl.raw().body()).isEqualTo(Files.readAllBytes(workdir.resolve("deltas/rn.cd4j.safetensors")));
        assertThat(dl.raw().headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"rn.cd4j.safetensors\"");
        assertThat(api.patch("/api/deltas/rn", Map.of("name", "renamed")).json().get("name").asText()).isEqualTo("renamed");
        api.get("/api/deltas/rn").error(404);
        assertThat(api.get("/api/deltas/renamed").json().get("tokens").toString()).isEqualTo("[\"<new1>\"]");
        assertThat(api.patch("/api/deltas/renamed", Map.of("name", trained)).error(409)).contains("exists already");
        assertThat(api.patch("/api/deltas/renamed", Map.of("name", "bad name!")).error(400)).contains("invalid delta name");
        assertThat(api.patch("/api/deltas/renamed", Map.of()).error(400)).contains("name is required");
        api.patch("/api/deltas/ghost", Map.of("name", "x")).error(404);
        assertThat(api.delete("/api/deltas/renamed").status()).isEqualTo(204);
        api.delete("/api/deltas/renamed").error(404);
        api.get("/api/deltas/renamed/file").error(404);
        assertThat(Files.exists(workdir.resolve("deltas/renamed.json"))).isFalse();
    }

    @Test
    void compressesWithAReportAndMergesIntoOneDelta() {
        WebClient.Res c = api.post("/api/jobs/compress", Map.of("delta", trained, "criterion", "rank", "value", 2));
        assertThat(c.status()).as(c.body()).isEqualTo(202);
        JsonNode done = api.await(c.json().get("id").asText(), Duration.ofMinutes(3), "done");
        JsonNode r = done.get("result");
        assertThat(r.get("delta").asText()).isEqualTo(trained + "-rank2");
        assertThat(r.get("report").get("layers")).isNotEmpty();
        assertThat(r.get("report").get("layers").get(0).get("rank").asInt()).isEqualTo(2);
        assertThat(r.get("report").get("summary").asText()).contains("relative error");
        JsonNode small = api.get("/api/deltas/" + trained + "-rank2").json();
        assertThat(small.get("storage").asText()).isEqualTo("low_rank");
        assertThat(small.get("maxRank").asInt()).isEqualTo(2);
        assertThat(small.get("origin").asText()).isEqualTo("compress");

        assertThat(api.post("/api/jobs/compress", Map.of("delta", trained, "criterion", "rank", "value", 1000)).error(400)).contains("at most");
        assertThat(api.post("/api/jobs/compress", Map.of("delta", trained, "criterion", "ratio", "value", 1.5)).error(400)).contains("value");
        assertThat(api.post("/api/jobs/compress", Map.of("delta", trained, "criterion", "magic")).error(400)).contains("criterion");
        api.post("/api/jobs/compress", Map.of("delta", "ghost")).error(404);

        String second = train("other pot", 3, 7).get("result").get("delta").asText();
        WebClient.Res m = api.post("/api/jobs/merge", Map.of("deltas", List.of(trained, second), "categories", "pot+pot", "name", "both"));
        assertThat(m.status()).as(m.body()).isEqualTo(202);
        JsonNode merged = api.await(m.json().get("id").asText(), Duration.ofMinutes(3), "done", "failed");
        assertThat(merged.get("state").asText()).as(String.valueOf(merged.get("error"))).isEqualTo("done");
        assertThat(merged.get("result").get("tokens").findValuesAsText("renamed")).containsExactly("<new1>", "<new2>");
        assertThat(api.get("/api/deltas/both").json().get("tokens").toString()).isEqualTo("[\"<new1>\",\"<new2>\"]");
        assertThat(api.post("/api/jobs/merge", Map.of("deltas", List.of(trained))).error(400)).contains("at least two");
        assertThat(api.post("/api/jobs/merge", Map.of("deltas", List.of(trained, trained))).error(400)).contains("twice");
        api.post("/api/jobs/merge", Map.of("deltas", List.of(trained, "ghost"))).error(404);
    }
}
