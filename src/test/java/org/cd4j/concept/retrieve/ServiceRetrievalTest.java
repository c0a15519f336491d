package org.cd4j.concept.retrieve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cd4j.concept.data.CaptionedImage;
import org.cd4j.concept.data.ClassImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retrieval from a knn service against {@link FakeKnnServer}: the exact request the reference's
 * client sends, its growing query, and a download that passes over every kind of bad link (404,
 * a 500 that stays, a flaky 500, headers that never come, a body that stalls, oversize files with
 * and without a declared length, too many pixels, an HTML page, the same picture at another
 * address, an address listed twice) to the first five distinct pictures in rank order — the same
 * five with one worker or eight.
 */
class ServiceRetrievalTest {
    /** 2 s: generous for a loaded machine's first request, short enough for the slow links to time out quickly. */
    static final HttpSettings FAST = new HttpSettings(Duration.ofSeconds(2), 1, Duration.ofMillis(10), 20_000);
    /** Far beyond the time-out. */
    static final long SLOW_MS = 10_000;

    @TempDir
    Path tmp;
    FakeKnnServer fake;

    @BeforeEach
    void start() throws IOException {
        fake = FakeKnnServer.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    static Retrieval.Target target(Path out, int n, int workers) {
        return new Retrieval.Target("cat", out, false, new ImageCollector.Options(n, workers, 20_000));
    }

    /** The sixteen results described in the class comment; returns the five that must be kept, in order. */
    List<byte[]> serveMixedResults() {
        byte[] a = FakeKnnServer.png(16, 16, 1), b = FakeKnnServer.jpeg(20, 12, 2), c = FakeKnnServer.png(16, 16, 3);
        byte[] d = FakeKnnServer.png(8, 8, 4), e = FakeKnnServer.png(9, 9, 5), big = FakeKnnServer.png(200, 200, 9);
        fake.picture("a.png", a);
        fake.status("gone.png", 404);
        fake.picture("b.jpg", b);
        fake.status("broken.png", 500);
        fake.slow("slowhead.png", a, SLOW_MS);
        fake.picture("big.png", big);
        fake.html("page.png");
        fake.picture("dup.png", a.clone());
        fake.flaky("c.png", c, 1);
        fake.stalled("stall.png", FakeKnnServer.png(30, 30, 7), SLOW_MS);
        fake.chunked("chunkbig.png", big);
        fake.picture("wide.png", FakeKnnServer.flatPng(3000, 10));
        fake.picture("d.png", d);
        fake.picture("e.png", e);
        fake.picture("f.png", FakeKnnServer.png(10, 10, 6));
        String[][] r = {{"a.png", "a cat on a sofa"}, {"gone.png", "x"}, {"b.jpg", "cat\nwith a\u2028newline"}, {"broken.png", "x"},
                {"slowhead.png", "x"}, {"big.png", "x"}, {"page.png", "x"}, {"dup.png", "same cat"}, {"c.png", "   "},
                {"a.png", "listed again"}, {"stall.png", "x"}, {"chunkbig.png", "x"}, {"wide.png", "x"}, {"d.png", "d cat"},
                {"e.png", "e cat"}, {"f.png", "f cat"}};
        List<FakeKnnServer.Result> results = new ArrayList<>();
        for (int i = 0; i < r.length; i++) results.add(new FakeKnnServer.Result(fake.img(r[i][0]), r[i][1], 0.5 - i * 0.01));
        fake.results(results);
        return List.of(a, b, c, d, e);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void keepsTheFirstFiveDistinctPicturesInRankOrder(int workers) throws Exception {
        List<byte[]> expected = serveMixedResults();
        Path out = tmp.resolve("cat");
        KnnService svc = new KnnService(fake.serviceUrl(), KnnOptions.REFERENCE, FAST);
        Retrieval.Outcome o = Retrieval.fromService(svc, 10_000, FAST, target(out, 5, workers), RetrievalListener.NONE);

        assertThat(o.written()).isEqualTo(5);
        assertThat(Files.readAllLines(out.resolve("images.txt")))
                .containsExactly("images/0.png", "images/1.jpg", "images/2.png", "images/3.png", "images/4.png");
        assertThat(Files.readAllLines(out.resolve("caption.txt")))
                .containsExactly("a cat on a sofa", "cat with a newline", "cat", "d cat", "e cat");
        assertThat(Files.readAllLines(out.resolve("urls.txt")))
                .containsExactly(fake.img("a.png"), fake.img("b.jpg"), fake.img("c.png"), fake.img("d.png"), fake.img("e.png"));
        ClassImages set = ClassImages.realPrior(out, 200);
        for (int i = 0; i < 5; i++) {
            CaptionedImage it = set.items().get(i);
            assertThat(Files.readAllBytes(it.path())).as("picture %d keeps its original bytes", i).isEqualTo(expected.get(i));
        }
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted())
                    .as("no staging left").containsExactly("caption.txt", "images", "images.txt", "urls.txt");
        }
        assertThat(o.details().failures()).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of(
                "HTTP 404", 1, "HTTP 500", 1, "larger than 20000 bytes", 2, "not a picture", 1, "timed out", 2, "too many pixels", 1)));
        assertThat(o.details().duplicates()).isEqualTo(1);
        assertThat(o.details().repeatedAddresses()).isEqualTo(1);
        assertThat(o.details().tried()).isEqualTo(14);
        assertThat(fake.hits("broken.png")).as("a 500 is retried once").isEqualTo(2);
        assertThat(fake.hits("slowhead.png")).as("a time-out is retried once").isEqualTo(2);
        assertThat(fake.hits("c.png")).as("flaky: 500, then the picture").isEqualTo(2);
        assertThat(fake.hits("gone.png")).as("a 404 is not retried").isEqualTo(1);
        assertThat(fake.hits("a.png")).as("an address listed twice is fetched once").isEqualTo(1);
        assertThat(fake.hits("f.png")).isZero();
        assertThat(fake.queries()).extracting(q -> q.get("num_images").asInt())
                .as("int(1.5 N) = 7, grown to 10 (fewer than 1.5 N came back), then 15 when the links ran out").containsExactly(7, 10, 15);
        assertThat(o.summary()).isEqualTo("kept 5 of 5 pictures; fetched 14: 8 failed (1 HTTP 404, 1 HTTP 500, 2 larger than 20000 bytes,"
                + " 1 not a picture, 2 timed out, 1 too many pixels), 1 duplicate(s)");
    }

    @Test
    void downloadsAsManyAtOnceAsThereAreWorkers() throws Exception {
        List<FakeKnnServer.Result> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            fake.slow(i + ".png", FakeKnnServer.png(8, 8, 40 + i), 1000); // each answer takes a second
            results.add(new FakeKnnServer.Result(fake.img(i + ".png"), "cat " + i, 0.5));
        }
        fake.results(results);
        HttpSettings patient = new HttpSettings(Duration.ofSeconds(20), 0, Duration.ZERO, 20_000);
        Retrieval.Outcome o = Retrieval.fromService(new KnnService(fake.serviceUrl(), KnnOptions.REFERENCE, patient), 10_000, patient,
                target(tmp.resolve("par"), 8, 4), RetrievalListener.NONE);
        assertThat(o.written()).isEqualTo(8);
        assertThat(fake.maxInFlight()).as("four downloads at once, never more").isEqualTo(4);
    }

    @Test
    void sendsTheRequestOfTheReferenceClient() throws Exception {
        fake.picture("a.png", FakeKnnServer.png(8, 8, 1));
        fake.results(List.of(new FakeKnnServer.Result(fake.img("a.png"), "a cat", 0.3)));
        Retrieval.fromService(new KnnService(fake.serviceUrl(), KnnOptions.REFERENCE, FAST), 10_000, FAST,
                target(tmp.resolve("a"), 1, 2), RetrievalListener.NONE);
        JsonNode expected = new ObjectMapper().readTree("""
                {"text": "cat", "image": null, "image_url": null, "embedding_input": null, "deduplicate": true,
                 "use_safety_model": true, "use_violence_detector": true, "indice_name": "laion_400m", "use_mclip": false,
                 "aesthetic_score": 9, "aesthetic_weight": 0.1, "modality": "image", "num_images": 1, "num_result_ids": 1}""");
        assertThat(fake.queries().get(0)).isEqualTo(expected);
        assertThat(fake.queries()).extracting(q -> q.get("num_images").asInt())
                .as("1 result < 1.5: grown to 2, which brings nothing new, so the loop stops").containsExactly(1, 2);

        KnnOptions plain = new KnnOptions("my-index", "text", false, false, false, null, 0.5, false);
        Retrieval.fromService(new KnnService(fake.serviceUrl(), plain, FAST), 10_000, FAST, target(tmp.resolve("b"), 1, 2),
                RetrievalListener.NONE);
        JsonNode q = fake.queries().get(2);
        assertThat(q.get("indice_name").asText()).isEqualTo("my-index");
        assertThat(q.get("modality").asText()).isEqualTo("text");
        assertThat(q.get("deduplicate").asBoolean()).isFalse();
        assertThat(q.get("use_safety_model").asBoolean()).isFalse();
        assertThat(q.get("use_violence_detector").asBoolean()).isFalse();
        assertThat(q.get("aesthetic_score").asText()).as("no aesthetic term: the back end reads \"\" as none").isEmpty();
        assertThat(q.get("aesthetic_weight").asText()).isEmpty();
    }

    @Test
    void asksForMoreUntilTheCapWhenEveryLinkIsBroken() throws Exception {
        List<FakeKnnServer.Result> results = new ArrayList<>();
        for (int i = 0; i < 40; i++) results.add(new FakeKnnServer.Result(fake.img("gone" + i + ".png"), "c" + i, 0.5));
        for (int i = 0; i < 3; i++) {
            fake.picture("ok" + i + ".png", FakeKnnServer.png(8, 8, 100 + i));
            results.add(new FakeKnnServer.Result(fake.img("ok" + i + ".png"), "ok " + i, 0.1));
        }
        fake.results(results);
        Path out = tmp.resolve("few");
        Retrieval.Outcome o = Retrieval.fromService(new KnnService(fake.serviceUrl(), KnnOptions.REFERENCE, FAST), 42, FAST,
                target(out, 4, 4), RetrievalListener.NONE);
        assertThat(fake.queries()).extracting(q -> q.get("num_images").asInt()).containsExactly(6, 9, 13, 19, 28, 42);
        assertThat(o.written()).as("the cap of 42 leaves two good pictures in reach").isEqualTo(2);
        assertThat(Files.readAllLines(out.resolve("caption.txt"))).containsExactly("ok 0", "ok 1");
        assertThat(o.details().failures()).containsExactlyEntriesOf(Map.of("HTTP 404", 40));
    }

    @Test
    void serviceFailuresNameTheServiceAndWriteNothing() throws Exception {
        KnnService svc = new KnnService(fake.serviceUrl(), KnnOptions.REFERENCE, FAST);
        Path out = tmp.resolve("none");
        fake.serviceAnswers(500, "{\"message\": \"Internal Server Error\"}");
        assertThat(failure(svc, out)).contains(fake.serviceUrl()).contains("HTTP 500").contains("Internal Server Error");
        assertThat(fake.queries()).as("a 500 is retried").hasSize(2);
        fake.serviceAnswers(200, "<html>a proxy page</html>");
        assertThat(failure(svc, out)).contains("not JSON").contains("a proxy page");
        fake.serviceAnswers(200, "{\"error\": \"x\"}");
        assertThat(failure(svc, out)).contains("not a list of results");
        fake.serviceAnswers(200, "[]");
        assertThat(failure(svc, out)).contains("found nothing for \"cat\"");
        fake.serviceAnswers(200, null);
        fake.serviceDelay(SLOW_MS);
        assertThat(failure(svc, out)).contains("did not answer within 2 s (--timeout)").contains("after 2 attempts");
        KnnService closed = new KnnService("http://127.0.0.1:1/knn-service", KnnOptions.REFERENCE, FAST);
        assertThat(failure(closed, out)).contains("could not be reached").contains("connection refused");
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s).as("nothing written, no staging left").isEmpty();
        }
    }

    @Test
    void noReadablePictureIsAFailureThatWritesNothing() throws Exception {
        fake.status("gone.png", 404);
        fake.html("page.png");
        fake.results(List.of(new FakeKnnServer.Result(fake.img("gone.png"), "x", 0.3),
                new FakeKnnServer.Result(fake.img("page.png"), "y", 0.2)));
        Path out = tmp.resolve("nothing");
        String m = failure(new KnnService(fake.serviceUrl(), KnnOptions.REFERENCE, FAST), out);
        assertThat(m).isEqualTo("no picture could be retrieved for \"cat\" (fetched 2: 1 HTTP 404, 1 not a picture); nothing was written to " + out);
        assertThat(Files.exists(out.resolve("images.txt"))).isFalse();
    }

    private String failure(KnnService svc, Path out) {
        try {
            Retrieval.fromService(svc, 10_000, FAST, target(out, 2, 2), RetrievalListener.NONE);
        } catch (Exception e) {
            assertThat(e).isInstanceOf(RetrievalException.class);
            return e.getMessage();
        }
        throw new AssertionError("expected a failure");
    }
}
