package org.cd4j.hub;

/**
 * Hears about downloads from the hub, for a progress bar or a log; the hub package itself shows
 * nothing. Calls come from the downloading thread; a listener overrides what it wants to hear.
 */
public interface DownloadListener {
    /**
     * A file starts downloading.
     *
     * @param path    its path in the repository
     * @param size    its length in bytes
     * @param resumed bytes already on disk from an earlier, interrupted download
     */
    default void started(String path, long size, long resumed) {}

    /** {@code done} of {@code size} bytes of {@code path} are on disk. */
    default void progress(String path, long done, long size) {}

    /** {@code path} is complete and verified. */
    default void finished(String path) {}

    /** Something the user may want to know (a broken connection being resumed, a fallback taken). */
    default void note(String message) {}

    /** A listener that ignores everything. */
    DownloadListener NONE = new DownloadListener() {};
}
