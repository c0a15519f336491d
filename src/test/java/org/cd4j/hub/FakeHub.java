package org.cd4j.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A local Hugging Face hub for tests, answering as huggingface.co does:
 * {@code GET /api/models/{id}/revision/{rev}} with {@code sha} and {@code siblings};
 * {@code HEAD|GET /{id}/resolve/{rev}/{path}} with {@code X-Repo-Commit} and a git-sha1
 * {@code ETag} for small files, and for LFS files ({@code .safetensors}, {@code .bin}) a 302 to a
 * second server (the "CDN", under another host name: {@code localhost}) with {@code X-Linked-Etag}
 * (sha256) and {@code X-Linked-Size}; the CDN honours {@code Range} and, like a signed S3 URL,
 * refuses requests that carry an {@code Authorization} header. Errors carry the hub's
 * {@code X-Error-Code}: 401 {@code RepoNotFound} without a token, 404 with one,
 * {@code RevisionNotFound}, {@code EntryNotFound}, {@code GatedRepo}, 401 "Invalid credentials" for a
 * rejected token. Faults can be injected: a status for every request, a listed file that is not
 * served, a connection dropped after some bytes, corrupt or stalled content.
 */
public final class FakeHub implements AutoCloseable {
    /** One request as the servers saw it. */
    public record Request(String server, String method, String path, String range, String authorization) {}

    private record Repo(String commit, Map<String, byte[]> files, String token, boolean gated) {}

    /** A fault on the content of one file: drop the connection or stall after {@code after} bytes, {@code times} times. */
    private record Fault(String kind, long after, AtomicInteger times) {}

    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>(); // sha256 -> content
    private final Map<String, Fault> faults = new ConcurrentHashMap<>(); // repo path -> fault
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final java.util.Set<String> hidden = ConcurrentHashMap.newKeySet(); // listed, but answered 404
    private final java.util.Set<String> rejectedTokens = ConcurrentHashMap.newKeySet();
    private volatile int failStatus;

    private FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        cdn.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        hub.start();
        cdn.start();
    }

    public static FakeHub start() throws IOException {
        return new FakeHub();
    }

    /** The hub's address, for {@code HF_ENDPOINT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /**
     * Publishes every file under {@code folder} (plus {@code extra}) as repository {@code id} on
     * branch {@code main}; returns the commit hash.
     */
    public String addRepo(String id, Path folder, Map<String, byte[]> extra) throws IOException {
        return addRepo(id, folder, extra, null, false);
    }

    /** Like {@link #addRepo(String, Path, Map)}, private (readable only with {@code token}) or gated. */
    public String addRepo(String id, Path folder, Map<String, byte[]> extra, String token, boolean gated) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        if (folder != null) {
            try (Stream<Path> s = Files.walk(folder)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    files.put(folder.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                }
            }
        }
        files.putAll(extra);
        MessageDigest md = digest("SHA-1");
        md.update(id.getBytes(StandardCharsets.UTF_8));
        files.forEach((k, v) -> {
            md.update(k.getBytes(StandardCharsets.UTF_8));
            md.update(v);
        });
        String commit = HexFormat.of().formatHex(md.digest());
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            if (isLfs(e.getKey())) blobs.put(sha256(e.getValue()), e.getValue());
        }
        repos.put(id, new Repo(commit, files, token, gated));
        return commit;
    }

    /** Every request so far. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    /** Every later request to the hub is answered with {@code status} (0: normal service). */
    public void failWith(int status) {
        failStatus = status;
    }

    /** {@code path} stays in every file list but is answered 404 {@code EntryNotFound}, as a file the hub lost. */
    public void hide(String path) {
        hidden.add(path);
    }

    /** Requests bearing {@code token} are answered 401 "Invalid credentials", as the hub answers a revoked or mistyped token. */
    public void rejectToken(String token) {
        rejectedTokens.add(token);
    }

    /** The next {@code times} downloads of {@code path} stop after {@code after} bytes, the connection cut. */
    public void dropAfter(String path, long after, int times) {
        faults.put(path, new Fault("drop", after, new AtomicInteger(times)));
    }

    /** The next {@code times} downloads of {@code path} stall (send nothing more) after {@code after} bytes. */
    public void stallAfter(String path, long after, int times) {
        faults.put(path, new Fault("stall", after, new AtomicInteger(times)));
    }

    /** The next {@code times} downloads of {@code path} deliver its content with one byte changed. */
    public void corrupt(String path, int times) {
        faults.put(path, new Fault("corrupt", 0, new AtomicInteger(times)));
    }

    /** The git blob id of some content, as the hub's ETag of a small file. */
    public static String gitSha1(byte[] content) {
        MessageDigest md = digest("SHA-1");
        md.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        md.update(content);
        return HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(byte[] content) {
        return HexFormat.of().formatHex(digest("SHA-256").digest(content));
    }

    /** The cache name of a repository file's blob: sha256 for LFS files, git sha1 for the others. */
    public static String etagOf(String path, byte[] content) {
        return isLfs(path) ? sha256(content) : gitSha1(content);
    }

    public static boolean isLfs(String path) {
        return path.endsWith(".safetensors") || path.endsWith(".bin") || path.endsWith(".ckpt");
    }

    private void hub(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            log("hub", ex);
            if (failStatus != 0) {
                send(ex, failStatus, "Internal Error".getBytes(StandardCharsets.UTF_8), Map.of());
                return;
            }
            Matcher api = API.matcher(path);
            Matcher res = RESOLVE.matcher(path);
            if (api.matches()) {
                Repo r = access(ex, api.group(1), decode(api.group(2)));
                if (r == null) return;
                StringBuilder json = new StringBuilder("{\"id\":\"" + api.group(1) + "\",\"sha\":\"" + r.commit() + "\",\"siblings\":[");
                int i = 0;
                for (String f : r.files().keySet()) json.append(i++ == 0 ? "" : ",").append("{\"rfilename\":\"").append(f).append("\"}");
                send(ex, 200, json.append("]}").toString().getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/json"));
            } else if (res.matches()) {
                resolve(ex, res.group(1), decode(res.group(2)), decode(res.group(3)));
            } else {
                send(ex, 404, new byte[0], Map.of());
            }
        }
    }

    /** The repository if the request may see it at that revision; otherwise the hub's error is sent. */
    private Repo access(HttpExchange ex, String id, String revision) throws IOException {
        Repo r = repos.get(id);
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && rejectedTokens.contains(auth.replaceFirst("^Bearer ", ""))) {
            send(ex, 401, new byte[0], Map.of("X-Error-Message", "Invalid credentials in Authorization header"));
            return null;
        }
        if (r == null || r.token() != null && !("Bearer " + r.token()).equals(auth)) {
            // The hub's answer to a missing repository and to a private one without the right token alike.
            send(ex, auth == null ? 401 : 404, new byte[0], Map.of("X-Error-Code", "RepoNotFound", "X-Error-Message", "Repository not found"));
            return null;
        }
        if (r.gated() && auth == null) {
            send(ex, 401, new byte[0], Map.of("X-Error-Code", "GatedRepo", "X-Error-Message", "Access to model " + id + " is restricted."));
            return null;
        }
        if (!revision.equals("main") && !revision.equals(r.commit())) {
            send(ex, 404, new byte[0], Map.of("X-Error-Code", "RevisionNotFound", "X-Error-Message", "Invalid rev id: " + revision));
            return null;
        }
        return r;
    }

    private void resolve(HttpExchange ex, String id, String revision, String file) throws IOException {
        Repo r = access(ex, id, revision);
        if (r == null) return;
        byte[] content = hidden.contains(file) ? null : r.files().get(file);
        if (content == null) {
            send(ex, 404, new byte[0], Map.of("X-Error-Code", "EntryNotFound", "X-Error-Message", "Entry not found", "X-Repo-Commit", r.commit()));
            return;
        }
        Headers h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", r.commit());
        if (isLfs(file)) {
            String sha = sha256(content);
            h.set("X-Linked-Etag", "\"" + sha + "\"");
            h.set("X-Linked-Size", Long.toString(content.length));
            h.set("ETag", "\"" + gitSha1(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
            // "localhost", not the hub's 127.0.0.1: another host name, as a real CDN has (clients compare names, not ports).
            h.set("Location", "http://localhost:" + cdn.getAddress().getPort() + "/blobs/" + sha + "?file=" + file.replace('/', '_') + "&sig=x");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "\"" + gitSha1(content) + "\"");
        body(ex, file, content);
    }

    private void cdn(HttpExchange ex) throws IOException {
        try (ex) {
            log("cdn", ex);
            if (ex.getRequestHeaders().containsKey("Authorization")) {
                // A signed URL refuses a second authentication, as S3 does.
                send(ex, 400, "Only one auth mechanism allowed".getBytes(StandardCharsets.UTF_8), Map.of());
                return;
            }
            String sha = ex.getRequestURI().getPath().replaceFirst("^/blobs/", "");
            byte[] content = blobs.get(sha);
            if (content == null) {
                send(ex, 404, new byte[0], Map.of());
                return;
            }
            String q = ex.getRequestURI().getQuery();
            String file = q == null ? "" : q.replaceFirst("^file=([^&]*).*$", "$1");
            body(ex, file, content);
        }
    }

    /** Sends content (or the asked range of it), applying any fault registered for the file. */
    private void body(HttpExchange ex, String file, byte[] content) throws IOException {
        Fault fault = null;
        for (Map.Entry<String, Fault> e : faults.entrySet()) {
            if (e.getKey().replace('/', '_').equals(file.replace('/', '_')) && e.getValue().times().get() > 0) fault = e.getValue();
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        if (fault != null) fault.times().decrementAndGet();
        byte[] data = content;
        if (fault != null && fault.kind().equals("corrupt")) {
            data = content.clone();
            data[data.length / 2] ^= 0x55;
        }
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null) {
            Matcher m = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!m.matches()) throw new IllegalStateException("unexpected Range " + range);
            start = Long.parseLong(m.group(1));
            if (start >= data.length) {
                send(ex, 416, new byte[0], Map.of("Content-Range", "bytes */" + data.length));
                return;
            }
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        }
        int n = (int) (data.length - start);
        ex.sendResponseHeaders(range != null ? 206 : 200, n);
        OutputStream out = ex.getResponseBody();
        if (fault != null && (fault.kind().equals("drop") || fault.kind().equals("stall"))) {
            int upTo = (int) Math.max(0, Math.min(n, fault.after() - start));
            out.write(data, (int) start, upTo);
            out.flush();
            if (fault.kind().equals("stall")) sleep(60_000);
            return; // closing the exchange with bytes missing cuts the connection
        }
        out.write(data, (int) start, n);
    }

    private static void send(HttpExchange ex, int status, byte[] body, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) ex.getResponseBody().write(body);
    }

    private void log(String server, HttpExchange ex) {
        Headers h = ex.getRequestHeaders();
        String q = ex.getRequestURI().getRawQuery();
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath() + (q == null ? "" : "?" + q),
                h.getFirst("Range"), h.getFirst("Authorization")));
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        ((java.util.concurrent.ExecutorService) hub.getExecutor()).shutdownNow();
        ((java.util.concurrent.ExecutorService) cdn.getExecutor()).shutdownNow();
    }

    /** The files of a published repository, for assertions. */
    public Map<String, byte[]> files(String id) {
        return repos.get(id).files();
    }

    /** The commit of a published repository. */
    public String commit(String id) {
        return repos.get(id).commit();
    }

    /** Requests to the hub or CDN for content or metadata of {@code path} (by its name in the URL). */
    public List<Request> requestsFor(String path) {
        List<Request> out = new ArrayList<>();
        for (Request r : requests) {
            if (r.path().endsWith("/" + path) || r.path().contains("file=" + path.replace('/', '_') + "&")) out.add(r);
        }
        return out;
    }
}
