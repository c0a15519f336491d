package org.cd4j.concept.retrieve;

import org.cd4j.concept.data.ClassImages;
import org.cd4j.concept.data.RgbImage;
import org.cd4j.io.AtomicFiles;
import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns ranked candidates into {@code target} distinct, readable pictures. Candidates are fetched
 * in rank order by a bounded pool of workers; each file must decode ({@link ImageFiles#decode}:
 * not truncated, within the pixel limit, a PNG, JPEG, WebP, BMP or GIF) and is staged with its
 * original bytes. Broken links, time-outs, non-pictures and oversize files are counted and
 * passed over; the same address is fetched once and the same pixels are kept once.
 *
 * <p>The result does not depend on which download finishes first: the kept pictures are the
 * first {@code target} distinct successes in rank order. Fetching stops once that many distinct
 * pictures are in hand and the ones in flight have ended — the fetched candidates then form a
 * rank prefix holding at least {@code target} distinct successes, whose first {@code target} are
 * the same whatever the timing. The source is asked for more only when nothing is in flight.
 */
public final class ImageCollector {
    /**
     * @param target    pictures wanted
     * @param workers   downloads at once
     * @param maxPixels the largest picture accepted, in pixels (checked from the header)
     */
    public record Options(int target, int workers, long maxPixels) {
        public Options {
            if (target < 1) throw new IllegalArgumentException("--num-class-images must be at least 1, got " + target);
            if (workers < 1 || workers > 64) throw new IllegalArgumentException("--workers must be between 1 and 64, got " + workers);
            if (maxPixels < 1) throw new IllegalArgumentException("--max-pixels must be positive, got " + maxPixels);
        }
    }

    /** A kept picture: its candidate, its staged file (original bytes) and its size. */
    public record Picture(Candidate candidate, Path file, String extension, int width, int height) {}

    /**
     * How a collection went.
     *
     * @param pictures   the kept pictures, in rank order
     * @param tried      candidates fetched
     * @param failures   reason → count ("HTTP 404", "timed out", "not a picture" …), sorted by reason
     * @param duplicates fetched pictures whose pixels equal a better-ranked one's
     * @param repeatedAddresses addresses a source listed more than once in one answer (fetched once)
     */
    public record Result(List<Picture> pictures, int tried, Map<String, Integer> failures, int duplicates,
                         int repeatedAddresses) {
        /** The failures as "12 HTTP 404, 3 timed out"; empty when none. */
        public String failureSummary() {
            List<String> parts = new ArrayList<>();
            failures.forEach((why, n) -> parts.add(n + " " + why));
            return String.join(", ", parts);
        }
    }

    /** The outcome of one candidate: a staged picture, or why not. */
    private record Outcome(int rank, Candidate candidate, Path file, String extension, String hash, int width, int height,
                           String failure) {}

    private ImageCollector() {}

    /**
     * Collects pictures into {@code staging} (a private folder; kept files are named by rank,
     * the others are deleted before returning).
     *
     * @throws RetrievalStopped when the listener asks to stop (staged files are left for the caller to remove)
     */
    public static Result collect(CandidateSource source, Fetcher fetcher, Options o, Path staging, RetrievalListener listener)
            throws IOException, InterruptedException {
        Files.createDirectories(staging);
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(o.workers(), r -> {
            Thread t = new Thread(r, "cd4j-retrieve-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            return run(source, fetcher, o, staging, listener, new ExecutorCompletionService<>(pool));
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private static Result run(CandidateSource source, Fetcher fetcher, Options o, Path staging, RetrievalListener listener,
                              CompletionService<Outcome> cs) throws IOException, InterruptedException {
        ArrayDeque<Candidate> queue = new ArrayDeque<>();
        Set<String> seenUrls = new HashSet<>();
        Set<String> distinct = new HashSet<>();
        List<Outcome> outcomes = new ArrayList<>();
        int nextRank = 0, inFlight = 0, failed = 0;
        Set<String> repeated = new HashSet<>();
        boolean exhausted = false;
        while (true) {
            if (listener.stopRequested()) throw new RetrievalStopped();
            while (inFlight < o.workers() && distinct.size() < o.target()) {
                if (queue.isEmpty()) {
                    // Ask for more only when nothing is in flight: those may still reach the target.
                    if (exhausted || inFlight > 0) break;
                    // A grown query repeats the earlier answer by design; an address listed twice
                    // in one answer is a real duplicate and is counted.
                    Set<String> batch = new HashSet<>();
                    int fresh = 0;
                    for (Candidate c : source.more()) {
                        if (!batch.add(c.url())) repeated.add(c.url());
                        else if (seenUrls.add(c.url())) {
                            queue.add(c);
                            fresh++;
                        }
                    }
                    if (fresh == 0) exhausted = true;
                    continue;
                }
                int rank = nextRank++;
                Candidate c = queue.poll();
                cs.submit(() -> attempt(rank, c, fetcher, o, staging));
                inFlight++;
            }
            if (inFlight == 0) break;
            Future<Outcome> f = cs.poll(200, TimeUnit.MILLISECONDS);
            if (f == null) continue;
            inFlight--;
            Outcome r = result(f);
            outcomes.add(r);
            if (r.failure() != null || !distinct.add(r.hash())) failed++;
            listener.progress(Math.min(distinct.size(), o.target()), o.target(), outcomes.size(), failed);
        }
        return select(outcomes, o.target(), repeated.size());
    }

    private static Outcome result(Future<Outcome> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("a download task failed unexpectedly", e.getCause());
        }
    }

    /** Fetches, decodes and stages one candidate; every expected failure becomes a counted reason. */
    private static Outcome attempt(int rank, Candidate c, Fetcher fetcher, Options o, Path staging) throws InterruptedException {
        try {
            byte[] bytes = fetcher.fetch(c);
            ImageFiles.Decoded d = ImageFiles.decode(Path.of("candidate-" + rank), bytes, o.maxPixels());
            if (!ImageFiles.EXTENSIONS.contains(d.extension())) {
                return failed(rank, c, "unsupported format (" + d.extension() + ")");
            }
            int w = d.image().getWidth(), h = d.image().getHeight();
            String hash = ClassImages.sha1(RgbImage.of(d.image()).data()) + "-" + w + "x" + h;
            Path file = staging.resolve(rank + "." + d.extension());
            AtomicFiles.write(file, false, out -> out.write(bytes)); // on disk before the set names it
            return new Outcome(rank, c, file, d.extension(), hash, w, h, null);
        } catch (FetchFailure f) {
            return failed(rank, c, f.reason());
        } catch (FormatException e) {
            return failed(rank, c, e.getMessage().contains("pixels; at most") ? "too many pixels" : "not a picture");
        } catch (IOException e) {
            return failed(rank, c, "failed (" + e.getClass().getSimpleName() + ")");
        } catch (RuntimeException e) {
            return failed(rank, c, "decoder error (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static Outcome failed(int rank, Candidate c, String why) {
        return new Outcome(rank, c, null, null, null, 0, 0, why);
    }

    /** The first {@code target} distinct successes in rank order; every other staged file is deleted. */
    private static Result select(List<Outcome> outcomes, int target, int repeated) throws IOException {
        List<Outcome> byRank = new ArrayList<>(outcomes);
        byRank.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
        Set<String> kept = new HashSet<>();
        List<Picture> pictures = new ArrayList<>();
        Map<String, Integer> failures = new TreeMap<>();
        int duplicates = 0;
        for (Outcome r : byRank) {
            if (r.failure() != null) {
                failures.merge(r.failure(), 1, Integer::sum);
            } else if (!kept.add(r.hash())) {
                duplicates++;
                Files.deleteIfExists(r.file());
            } else if (pictures.size() < target) {
                pictures.add(new Picture(r.candidate(), r.file(), r.extension(), r.width(), r.height()));
            } else {
                Files.deleteIfExists(r.file()); // fetched while the last ones were in flight; not needed
            }
        }
        return new Result(List.copyOf(pictures), outcomes.size(), failures, duplicates, repeated);
    }
}
