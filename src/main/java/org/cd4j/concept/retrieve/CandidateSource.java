package org.cd4j.concept.retrieve;

import java.io.IOException;
import java.util.List;

/**
 * Where candidates come from, best first: a knn service asked for more and more results
 * ({@link KnnCandidates}), or a ranked local collection given all at once.
 */
public interface CandidateSource {
    /**
     * The next candidates, best first; an empty list when the source has nothing more. A source
     * may repeat earlier candidates (a grown service query returns its earlier results again);
     * the collector skips addresses it has seen.
     */
    List<Candidate> more() throws IOException, InterruptedException;

    /** A fixed list, handed out once. */
    static CandidateSource of(List<Candidate> all) {
        List<Candidate> copy = List.copyOf(all);
        return new CandidateSource() {
            private boolean given;

            @Override
            public List<Candidate> more() {
                if (given) return List.of();
                given = true;
                return copy;
            }
        };
    }
}
