package org.cd4j.concept.retrieve;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A whole retrieval: candidates from a source, fetched and checked by the
 * {@link ImageCollector}, written as a real-prior set by the {@link RealPriorWriter}. A picture
 * without a caption is captioned with the class prompt. When no picture at all could be had,
 * nothing is written and the failure says why; fewer than wanted is a result (the caller warns).
 */
public final class Retrieval {
    /**
     * What to make.
     *
     * @param classPrompt the category ("cat"): the service query, the ranking query, the caption of caption-less pictures
     * @param outdir      the set folder
     * @param overwrite   replace an existing set in {@code outdir}
     * @param options     count, workers, pixel limit
     */
    public record Target(String classPrompt, Path outdir, boolean overwrite, ImageCollector.Options options) {
        public Target {
            if (classPrompt == null || classPrompt.isBlank()) throw new IllegalArgumentException("--class-prompt must not be empty");
            if (outdir == null) throw new IllegalArgumentException("--outdir is required");
        }
    }

    /** What was written, with the collection's counts. */
    public record Outcome(Path outdir, int wanted, ImageCollector.Result details) {
        public int written() {
            return details.pictures().size();
        }

        /** "kept 200 of 200 pictures; fetched 231: 18 failed (12 HTTP 404, 6 timed out), 13 duplicates". */
        public String summary() {
            int failed = details.failures().values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "kept %d of %d pictures; fetched %d", written(), wanted,
                    details.tried()));
            if (failed > 0) b.append(": ").append(failed).append(" failed (").append(details.failureSummary()).append(")");
            if (details.duplicates() > 0) b.append(failed > 0 ? ", " : ": ").append(details.duplicates()).append(" duplicate(s)");
            return b.toString();
        }
    }

    private Retrieval() {}

    /** Pictures from a clip-retrieval knn service, for the class prompt as the query text. */
    public static Outcome fromService(KnnService service, int maxCandidates, HttpSettings http, Target t, RetrievalListener l)
            throws IOException, InterruptedException {
        KnnCandidates source = new KnnCandidates(service, t.classPrompt(), t.options().target(), maxCandidates, l);
        return run(source, Fetcher.web(http), t, l);
    }

    /** The pictures of a local collection whose captions are nearest to the class prompt. */
    public static Outcome fromCollection(LocalCollection c, CaptionRanker ranker, long maxBytes, Target t, RetrievalListener l)
            throws IOException, InterruptedException {
        l.log("ranking " + c.items().size() + " caption(s) of " + c.dir() + " by CLIP text similarity to \"" + t.classPrompt() + "\""
                + (c.uncaptioned() > 0 ? " (" + c.uncaptioned() + " picture(s) without a caption left out)" : ""));
        List<CaptionRanker.Ranked> ranked = ranker.rank(t.classPrompt(), c.captions());
        List<Candidate> ordered = new ArrayList<>(ranked.size());
        for (CaptionRanker.Ranked r : ranked) {
            Candidate x = c.items().get(r.index());
            ordered.add(new Candidate(x.url(), x.caption(), r.similarity(), x.file()));
        }
        Candidate best = ordered.get(0);
        l.log(String.format(Locale.ROOT, "best match %.4f: \"%s\"", best.similarity(), best.caption()));
        return run(CandidateSource.of(ordered), Fetcher.files(maxBytes), t, l);
    }

    private static Outcome run(CandidateSource source, Fetcher fetcher, Target t, RetrievalListener l)
            throws IOException, InterruptedException {
        try (RealPriorWriter w = RealPriorWriter.open(t.outdir(), t.overwrite())) {
            ImageCollector.Result r = ImageCollector.collect(source, fetcher, t.options(), w.staging(), l);
            if (r.pictures().isEmpty()) {
                throw new RetrievalException("no picture could be retrieved for \"" + t.classPrompt() + "\" (fetched " + r.tried()
                        + (r.failures().isEmpty() ? "" : ": " + r.failureSummary()) + "); nothing was written to " + t.outdir());
            }
            List<RealPriorWriter.Entry> entries = new ArrayList<>();
            for (ImageCollector.Picture p : r.pictures()) {
                entries.add(new RealPriorWriter.Entry(p.file(), p.extension(), Captions.orElse(p.candidate().caption(), t.classPrompt()),
                        p.candidate().url()));
            }
            w.commit(entries);
            return new Outcome(t.outdir(), t.options().target(), r);
        }
    }
}
