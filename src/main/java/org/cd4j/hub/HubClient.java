package org.cd4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The two questions cd4j asks the hub, with the same requests as {@code huggingface_hub}:
 * which commit a revision is and which files it holds
 * ({@code GET {endpoint}/api/models/{id}/revision/{rev}}: {@code sha} and {@code siblings}), and
 * a file's identity ({@code HEAD {endpoint}/{id}/resolve/{commit}/{path}}: {@code X-Repo-Commit},
 * {@code X-Linked-Etag} or {@code ETag}, {@code X-Linked-Size} or {@code Content-Length}, and the
 * CDN {@code Location} of a large file); plus the download itself ({@link BlobDownload}).
 */
public final class HubClient {
    /** A revision resolved to its commit and the repository paths it holds. */
    public record RepoInfo(String commit, List<String> files) {}

    /**
     * What the hub says about one file.
     *
     * @param commit   the commit it belongs to ({@code X-Repo-Commit})
     * @param etag     its content id: sha256 for LFS files, git blob sha1 for the others
     * @param size     its length in bytes
     * @param location where to GET it (the CDN for LFS files)
     */
    public record FileMetadata(String commit, String etag, long size, URI location) {}

    private final HubHttp http;

    public HubClient(HubSettings settings) {
        this.http = new HubHttp(settings);
    }

    public HubSettings settings() {
        return http.settings();
    }

    /** The commit {@code revision} points to and the files of the repository at that commit. */
    public RepoInfo repoInfo(RepoId repo, String revision) throws IOException {
        URI url = URI.create(settings().endpoint() + "/api/models/" + repo + "/revision/" + HubHttp.quote(revision, false));
        HubHttp.Target what = new HubHttp.Target(repo, revision, null);
        HttpResponse<byte[]> r = http.getBytes(url, what);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw http.protocol(url, "a body that is not JSON");
        }
        String sha = root == null ? "" : root.path("sha").asText("");
        if (!HubCache.isCommitHash(sha)) throw http.protocol(url, "no commit hash in 'sha'");
        List<String> files = new ArrayList<>();
        for (JsonNode s : root.path("siblings")) {
            String f = s.path("rfilename").asText("");
            if (!f.isEmpty()) files.add(f);
        }
        return new RepoInfo(sha, List.copyOf(files));
    }

    /** The HEAD of {@code path} at {@code commit}: its content id, size and download address. */
    public FileMetadata fileMetadata(RepoId repo, String commit, String path) throws IOException {
        HubCache.checkRepoPath(path);
        URI url = resolveUrl(repo, commit, path);
        HttpResponse<Void> r = http.head(url, new HubHttp.Target(repo, commit, path));
        HttpHeaders h = r.headers();
        String fileCommit = h.firstValue("X-Repo-Commit").orElseThrow(() -> http.protocol(url, "no X-Repo-Commit header"));
        // The linked (LFS) etag is the file's sha256; a plain ETag is the git blob id of a small file.
        String etag = normalizeEtag(h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null));
        if (etag == null || etag.isEmpty()) throw http.protocol(url, "no ETag");
        boolean redirect = r.statusCode() / 100 == 3;
        OptionalLong size = h.firstValueAsLong("X-Linked-Size");
        if (size.isEmpty() && !redirect) size = h.firstValueAsLong("Content-Length");
        if (size.isEmpty()) throw http.protocol(url, "no file size (X-Linked-Size or Content-Length)");
        URI location = redirect ? r.uri().resolve(h.firstValue("Location").orElseThrow()) : r.uri();
        return new FileMetadata(fileCommit, etag, size.getAsLong(), location);
    }

    /**
     * Downloads a file into {@code incomplete} (resuming what it already holds), checks its size
     * and hash, and renames it to {@code blob}.
     */
    public void download(RepoId repo, FileMetadata meta, String path, Path incomplete, Path blob, DownloadListener listener)
            throws IOException {
        new BlobDownload(http, repo, meta, path, incomplete, listener).run(blob);
    }

    /** {@code {endpoint}/{org}/{name}/resolve/{revision}/{path}}. */
    public URI resolveUrl(RepoId repo, String revision, String path) {
        return URI.create(settings().endpoint() + "/" + repo + "/resolve/" + HubHttp.quote(revision, false) + "/"
                + HubHttp.quote(path, true));
    }

    /** {@code W/"abc"} and {@code "abc"} both become {@code abc}, as huggingface_hub names blobs. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.trim();
        if (e.startsWith("W/")) e = e.substring(2);
        return e.replace("\"", "");
    }
}
