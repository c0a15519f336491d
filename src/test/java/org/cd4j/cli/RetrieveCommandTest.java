package org.cd4j.cli;

import org.cd4j.concept.data.ClassImages;
import org.cd4j.concept.retrieve.FakeKnnServer;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cd4j retrieve} end to end: from a fake knn service and from a local collection on
 * tiny-sd1, then {@code cd4j train --real-prior} on the set it wrote; bad flags exit 2 naming the
 * flag, service failures exit 1 naming the service, nothing is overwritten without --overwrite.
 */
class RetrieveCommandTest {
    static final Path POT = Fixtures.path("custom_diffusion/data/pot");

    @TempDir
    Path tmp;
    FakeKnnServer fake;

    @BeforeEach
    void start() throws IOException {
        fake = FakeKnnServer.start();
        List<FakeKnnServer.Result> r = new ArrayList<>();
        r.add(new FakeKnnServer.Result(fake.img("gone.png"), "missing", 0.4));
        for (int i = 0; i < 4; i++) {
            fake.picture(i + ".png", FakeKnnServer.png(12, 12, i));
            r.add(new FakeKnnServer.Result(fake.img(i + ".png"), "a pot number " + i, 0.3 - i * 0.01));
        }
        fake.results(r);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    /** A retrieval from the fake service: 3 pictures unless {@code more} says otherwise. */
    String[] service(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(),
                "--service", fake.serviceUrl(), "--timeout", "5", "--workers", "2"));
        if (!List.of(more).contains("--num-class-images")) a.addAll(List.of("--num-class-images", "3"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void fromAServiceWritesTheSetAndPrintsItsFolder() throws IOException {
        Path out = tmp.resolve("pot-set");
        CliRun r = CliRun.of(service(out));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo(out.toString());
        // how many were fetched depends on timing (two workers); what was kept and the first link's failure do not
        assertThat(r.err()).contains("kept 3 of 3 pictures; fetched ").contains("1 failed (1 HTTP 404)");
        assertThat(Files.readAllLines(out.resolve("caption.txt"))).containsExactly("a pot number 0", "a pot number 1", "a pot number 2");
        assertThat(fake.queries().get(0).get("aesthetic_score").asInt()).isEqualTo(9);

        CliRun again = CliRun.of(service(out));
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("--outdir " + out + " is not empty; pass --overwrite").doesNotContain("at org.cd4j");
        CliRun five = CliRun.of(service(out, "--overwrite", "--num-class-images", "5", "--no-aesthetic", "--indice-name", "mine"));
        assertThat(five.code()).as(five.err()).isZero();
        assertThat(five.err()).contains("warning: only 4 of 5 pictures could be retrieved");
        assertThat(ClassImages.realPrior(out, 200).size()).isEqualTo(4);
        assertThat(fake.queries().get(fake.queries().size() - 1).get("indice_name").asText()).isEqualTo("mine");
        assertThat(fake.queries().get(fake.queries().size() - 1).get("aesthetic_score").asText()).isEmpty();
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlag() {
        Path out = tmp.resolve("o");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString()), "--service");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(), "--service", fake.serviceUrl(),
                "--from", tmp.toString()), "mutually exclusive");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(), "--from", POT.resolve("class").toString()),
                "--from needs --model");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(), "--from", POT.resolve("class").toString(),
                "--model", Fixtures.tinySd1().toString(), "--indice-name", "x"), "--indice-name applies to --service only");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(), "--from", tmp.resolve("nope").toString(),
                "--model", Fixtures.tinySd1().toString()), "--from " + tmp.resolve("nope") + " is not a folder");
        assertUsage(CliRun.of(service(out, "--aesthetic-score", "12")), "--aesthetic-score must be between 0 and 9");
        assertUsage(CliRun.of(service(out, "--num-class-images", "0")), "--num-class-images must be at least 1");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(), "--service", fake.serviceUrl(),
                "--timeout", "0"), "--timeout must be positive");
        assertUsage(CliRun.of("retrieve", "--class-prompt", "pot", "--outdir", out.toString(), "--service", "localhost:1234"),
                "--service 'localhost:1234' is not an http(s) address");
        assertThat(Files.exists(out)).as("nothing made").isFalse();
    }

    private static void assertUsage(CliRun r, String message) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("at org.cd4j");
    }

    @Test
    void aFailingServiceIsAFailureNamingIt() {
        fake.serviceAnswers(503, "{\"message\": \"index is loading\"}");
        CliRun r = CliRun.of(service(tmp.resolve("o"), "--retries", "0"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("cd4j retrieve: the knn service at " + fake.serviceUrl() + " (--service) answered HTTP 503: index is loading")
                .doesNotContain("at org.cd4j");
    }

    @Test
    void fromALocalCollectionThenTrainWithTheRealPrior() throws IOException {
        Path set = tmp.resolve("concept/class");
        CliRun r = CliRun.of("retrieve", "--class-prompt", "clay pot", "--num-class-images", "3", "--outdir", set.toString(),
                "--from", POT.resolve("class").toString(), "--model", Fixtures.tinySd1().toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("ranking 8 caption(s)").contains("best match 1.0000: \"clay pot\"");
        assertThat(Files.readAllLines(set.resolve("caption.txt"))).containsExactly("clay pot", "clay pot", "clay pot");

        Path out = tmp.resolve("run");
        CliRun t = CliRun.of("train", "--model", Fixtures.tinySd1().toString(), "--output", out.toString(),
                "--instance-data-dir", POT.resolve("instance").toString(), "--instance-prompt", "photo of a <new1> pot",
                "--class-data-dir", set.toString(), "--with-prior-preservation", "--real-prior", "--num-class-images", "3",
                "--modifier-token", "<new1>", "--resolution", "64", "--train-batch-size", "1", "--max-train-steps", "2",
                "--checkpointing-steps", "0", "--no-aug");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("3 class image(s)").doesNotContain("generating");
        assertThat(Files.isRegularFile(out.resolve("delta.cd4j.safetensors"))).isTrue();
    }
}
