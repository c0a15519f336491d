package org.cd4j.concept.retrieve;

/**
 * What a retrieval tells its front end (terminal progress bar, web job), and how the front end
 * stops it.
 */
public interface RetrievalListener {
    /** A line for the log (a query, a growing candidate pool, a summary). */
    default void log(String message) {}

    /**
     * After every finished download.
     *
     * @param accepted pictures kept so far (distinct, readable)
     * @param target   how many are wanted
     * @param tried    candidates fetched so far
     * @param failed   of those, how many were broken links, not pictures, too large or duplicates
     */
    default void progress(int accepted, int target, int tried, int failed) {}

    /** True when the retrieval should end now ({@link RetrievalStopped} is thrown, nothing is written). */
    default boolean stopRequested() {
        return false;
    }

    /** Says nothing and never stops. */
    RetrievalListener NONE = new RetrievalListener() {};
}
