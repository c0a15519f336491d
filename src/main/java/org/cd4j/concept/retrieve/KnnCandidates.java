package org.cd4j.concept.retrieve;

import java.io.IOException;
import java.util.List;

/**
 * The reference's query loop over a knn service (HF {@code retrieve.py}): ask for
 * {@code int(1.5 × N)} results and, while fewer than {@code 1.5 × N} come back (the back end's
 * deduplication and safety filters drop some), ask again for 1.5 times as many, up to a cap
 * (the reference stops after passing 10 000), or until a larger query brings no more results
 * (the index has no more; the reference would keep asking up to the cap). Unlike the reference, which fails with an
 * {@code IndexError} when broken links use up its list, the collector may come back for more:
 * the query grows again, up to the same cap, and the new addresses are tried.
 */
public final class KnnCandidates implements CandidateSource {
    /** The reference's growth factor. */
    static final double FACTOR = 1.5;

    private final KnnService service;
    private final String text;
    private final int target;
    private final int maxCandidates;
    private final RetrievalListener listener;
    private int asked;

    /**
     * @param maxCandidates the most results ever asked for at once (reference: 10 000)
     */
    public KnnCandidates(KnnService service, String text, int target, int maxCandidates, RetrievalListener listener) {
        if (maxCandidates < 1) throw new IllegalArgumentException("--max-candidates must be at least 1, got " + maxCandidates);
        this.service = service;
        this.text = text;
        this.target = target;
        this.maxCandidates = maxCandidates;
        this.listener = listener;
    }

    /** {@code int(1.5 n)}, at least {@code n + 1}, at most the cap. */
    int grow(int n) {
        return Math.min(maxCandidates, Math.max(n + 1, (int) (FACTOR * n)));
    }

    @Override
    public List<Candidate> more() throws IOException, InterruptedException {
        if (asked == 0) {
            asked = Math.min(maxCandidates, Math.max(1, (int) (FACTOR * target)));
            List<Candidate> r = ask();
            while (r.size() < FACTOR * target && asked < maxCandidates) {
                int before = r.size();
                asked = grow(asked);
                r = ask();
                if (r.size() <= before) break; // the index has no more for this query: asking for more is pointless
            }
            if (r.isEmpty()) {
                throw new RetrievalException("the knn service at " + service.url() + " found nothing for \"" + text
                        + "\" (check --indice-name and the filters)");
            }
            return r;
        }
        // The collector needs more: a larger query, unless the last one was the largest. (A
        // larger query that brings no new address ends the collection there.)
        if (asked >= maxCandidates) return List.of();
        asked = grow(asked);
        return ask();
    }

    private List<Candidate> ask() throws IOException, InterruptedException {
        listener.log("asking " + service.url() + " for " + asked + " results for \"" + text + "\"");
        List<Candidate> r = service.query(text, asked);
        listener.log("the service returned " + r.size() + " result(s)");
        return r;
    }
}
