package org.cd4j.hub;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Chooses which files of a repository to download, and may refuse the repository early. */
public interface FileSelector {
    /**
     * The paths to fetch, in the order to fetch them (small files that decide early first).
     *
     * @param files every path of the repository at the commit (or, from the cache, every path there)
     * @throws IllegalArgumentException naming what is missing when the files cannot make what is asked for
     */
    List<String> select(List<String> files);

    /**
     * Whether a selection made from the files already cached is the one the repository itself
     * would give. A selector that falls back when a file is missing (a weights variant) says no
     * when it fell back: the cache may just lack the file the repository has.
     */
    default boolean settledByCache(List<String> selection) {
        return true;
    }

    /**
     * Looks at a file as soon as it is in the snapshot, before the next is fetched, so that a
     * repository of the wrong kind is refused before its large files are downloaded.
     */
    default void check(String path, Path file) throws IOException {}
}
