package org.cd4j.hub;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Brings the files of a repository revision into the hub cache and returns the snapshot folder
 * that holds them. A revision whose files are all cached is answered from the cache without a
 * single request (a branch name through {@code refs/}, as recorded by this or an earlier download,
 * Python's included), unless the selector fell back for want of a file the repository may hold;
 * otherwise the hub is asked for the commit and file list, and each missing
 * file is fetched: its blob reused when another revision already has the content, else
 * downloaded, resumed, verified and linked. With {@code HF_HUB_OFFLINE} only the cache is used.
 */
public final class HubDownloader {
    private final HubSettings settings;
    private final HubCache cache;
    private final HubClient client;

    public HubDownloader(HubSettings settings) {
        this.settings = settings;
        this.cache = new HubCache(settings.cacheDir());
        this.client = new HubClient(settings);
    }

    public HubCache cache() {
        return cache;
    }

    /**
     * The snapshot folder of {@code repo} at {@code revision} holding the files {@code selector}
     * chooses, downloading the missing ones.
     *
     * @throws HubException when the hub or the network fails, or offline mode meets a cache without the files
     * @throws IllegalArgumentException from the selector, when the repository lacks files it needs
     */
    public Path snapshot(RepoId repo, String revision, FileSelector selector, DownloadListener listener) throws IOException {
        Optional<String> cachedCommit = cache.readRef(repo, revision);
        String whyNotCached = "it is not in the hub cache " + cache.root();
        if (cachedCommit.isPresent()) {
            List<String> present = cache.snapshotFiles(repo, cachedCommit.get());
            try {
                List<String> wanted = selector.select(present);
                if (present.containsAll(wanted)) {
                    if (selector.settledByCache(wanted)) return cache.snapshotDir(repo, cachedCommit.get());
                    // a fallback the repository may not need: ask it, unless only the cache may be used
                    if (settings.offline()) {
                        listener.note("HF_HUB_OFFLINE is set: " + repo + " is used as the hub cache holds it ("
                                + String.join(", ", wanted) + "), though the hub may have files it prefers");
                        return cache.snapshotDir(repo, cachedCommit.get());
                    }
                }
                List<String> missing = wanted.stream().filter(p -> !present.contains(p)).toList();
                whyNotCached = "the hub cache " + cache.root() + " lacks " + String.join(", ", missing);
            } catch (IllegalArgumentException e) {
                whyNotCached = "the hub cache " + cache.root() + " holds only part of it (" + e.getMessage() + ")";
            }
        }
        if (settings.offline()) {
            throw new HubException(HubException.Kind.NOT_CACHED, "HF_HUB_OFFLINE is set and " + repo + " at revision '" + revision
                    + "' cannot be used offline: " + whyNotCached + "; download it once without HF_HUB_OFFLINE");
        }
        HubClient.RepoInfo info = client.repoInfo(repo, revision);
        List<String> wanted = selector.select(info.files());
        cache.tag();
        cache.writeRef(repo, revision, info.commit());
        for (String path : wanted) {
            Path file = fetch(repo, info.commit(), path, listener);
            selector.check(path, file);
        }
        return cache.snapshotDir(repo, info.commit());
    }

    /** One file of a commit into the snapshot: already there, linked to a cached blob, or downloaded. */
    private Path fetch(RepoId repo, String commit, String path, DownloadListener listener) throws IOException {
        Path pointer = cache.pointer(repo, commit, path);
        if (Files.exists(pointer)) return pointer;
        HubClient.FileMetadata meta = client.fileMetadata(repo, commit, path);
        if (!meta.commit().equals(commit)) {
            throw new HubException(HubException.Kind.PROTOCOL, "the hub served " + path + " of commit " + meta.commit()
                    + " when commit " + commit + " was asked for");
        }
        Path blob = cache.blob(repo, meta.etag());
        if (!complete(blob, meta.size())) {
            try (Closeable lock = cache.lock(repo, meta.etag())) {
                // Another process may have finished it while this one waited for the lock.
                if (!complete(blob, meta.size())) client.download(repo, meta, path, cache.incomplete(repo, meta.etag()), blob, listener);
            }
        }
        return cache.link(repo, commit, path, meta.etag());
    }

    private static boolean complete(Path blob, long size) throws IOException {
        return Files.isRegularFile(blob) && Files.size(blob) == size;
    }
}
