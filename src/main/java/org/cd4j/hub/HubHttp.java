package org.cd4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * HTTP with the hub's conventions: the token as a bearer header (but never to another host, such
 * as the CDN a large file redirects to, whose signed URLs refuse it), no compression (sizes must
 * be the file's), redirects followed by hand, and the hub's error headers
 * ({@code X-Error-Code}, {@code X-Error-Message}) turned into {@link HubException}s that say
 * what to do.
 */
final class HubHttp {
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "cd4j/" + Objects.requireNonNullElse(HubHttp.class.getPackage().getImplementationVersion(), "dev")
            + "; java/" + System.getProperty("java.version");

    /** What a request was about, for error messages. */
    record Target(RepoId repo, String revision, String path) {}

    private final HubSettings settings;
    private final HttpClient client;

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    HubSettings settings() {
        return settings;
    }

    /** A GET whose body is read whole (API answers). */
    HttpResponse<byte[]> getBytes(URI url, Target what) throws IOException {
        HttpResponse<byte[]> r = send(url, "GET", -1, HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() != 200) throw failure(r.statusCode(), r.headers(), r.uri(), what);
        return r;
    }

    /**
     * A HEAD that follows only redirects within the hub (a renamed repository) and stops at one to
     * another host (the CDN of a large file), whose headers carry the file's metadata.
     */
    HttpResponse<Void> head(URI url, Target what) throws IOException {
        URI u = url;
        for (int i = 0; i <= MAX_REDIRECTS; i++) {
            HttpResponse<Void> r = send(u, "HEAD", -1, HttpResponse.BodyHandlers.discarding(), false);
            int code = r.statusCode();
            if (code / 100 != 3) {
                if (code / 100 != 2) throw failure(code, r.headers(), r.uri(), what);
                return r;
            }
            URI from = u;
            String loc = r.headers().firstValue("Location").orElseThrow(() -> protocol(from, "a redirect without Location"));
            URI next = u.resolve(loc);
            if (URI.create(loc).getHost() != null && !sameHost(next, u)) return r;
            u = next;
        }
        throw protocol(url, "more than " + MAX_REDIRECTS + " redirects");
    }

    /**
     * A streaming GET of file content from {@code start} on (a {@code Range} request when
     * {@code start > 0}), following every redirect. The caller checks the status (200, 206, 416).
     */
    HttpResponse<InputStream> getStream(URI url, long start) throws IOException {
        return send(url, "GET", start, HttpResponse.BodyHandlers.ofInputStream(), true);
    }

    private <T> HttpResponse<T> send(URI url, String method, long start, HttpResponse.BodyHandler<T> body, boolean follow)
            throws IOException {
        URI u = url;
        for (int i = 0; i <= MAX_REDIRECTS; i++) {
            HttpResponse<T> resp;
            try {
                resp = client.send(request(u, method, start), body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while talking to " + u.getHost());
            } catch (IOException e) {
                throw unreachable(u, e);
            }
            int code = resp.statusCode();
            if (!follow || code / 100 != 3 || code == 304) return resp;
            if (resp.body() instanceof InputStream in) in.close();
            URI from = u;
            u = u.resolve(resp.headers().firstValue("Location").orElseThrow(() -> protocol(from, "a redirect without Location")));
        }
        throw protocol(url, "more than " + MAX_REDIRECTS + " redirects");
    }

    private HttpRequest request(URI url, String method, long start) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url)
                .timeout(settings.timeout())
                .header("User-Agent", USER_AGENT)
                .header("Accept-Encoding", "identity")
                .method(method, HttpRequest.BodyPublishers.noBody());
        // The token only goes to the hub itself: a CDN's signed URL would refuse it, and it must not leak.
        if (settings.token() != null && sameHost(url, settings.endpoint())) b.header("Authorization", "Bearer " + settings.token());
        if (start > 0) b.header("Range", "bytes=" + start + "-");
        return b.build();
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && Objects.equals(a.getScheme(), b.getScheme());
    }

    /** No answer at all: name the address and the way out (offline mode with a filled cache). */
    HubException unreachable(URI url, IOException cause) {
        String why = cause.getMessage() == null || cause.getMessage().isBlank() ? cause.getClass().getSimpleName() : cause.getMessage();
        return new HubException(HubException.Kind.NETWORK, "cannot reach the hub at " + url.getScheme() + "://" + url.getAuthority()
                + " (" + why + "); check the network connection (and HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use only models already in "
                + settings.cacheDir(), cause);
    }

    HubException protocol(URI url, String what) {
        return new HubException(HubException.Kind.PROTOCOL, url + " answered with " + what + ", which the hub never does;"
                + " is HF_ENDPOINT (" + settings.endpoint() + ") a Hugging Face hub?");
    }

    /**
     * The hub's error answer as a message for people. The hub says 401 "Repository Not Found" both
     * for missing repositories and for private or gated ones asked without a (good) token, so that
     * message mentions HF_TOKEN.
     */
    HubException failure(int code, HttpHeaders h, URI url, Target what) {
        String xcode = h.firstValue("X-Error-Code").orElse("");
        String xmsg = h.firstValue("X-Error-Message").orElse("");
        String repo = what.repo().toString();
        String at = what.revision() == null ? "" : " at revision '" + what.revision() + "'";
        String tokenHint = settings.token() == null
                ? "if it is private or gated, set HF_TOKEN to an access token that can read it"
                : "if it is private or gated, the token in HF_TOKEN cannot read it";
        if (xcode.equals("RevisionNotFound")) {
            return new HubException(HubException.Kind.REVISION_NOT_FOUND, repo + " has no revision '" + what.revision()
                    + "' (HTTP " + code + "); --revision takes a branch, tag or commit hash of it");
        }
        if (xcode.equals("EntryNotFound") || code == 404 && what.path() != null && xcode.isEmpty()) {
            return new HubException(HubException.Kind.FILE_NOT_FOUND, repo + " has no file " + what.path() + at + " (HTTP " + code + ")");
        }
        if (xcode.equals("GatedRepo")) {
            return new HubException(HubException.Kind.GATED, repo + " is gated (HTTP " + code + "): accept its conditions at "
                    + settings.endpoint() + "/" + repo + " and set HF_TOKEN to an access token of that account");
        }
        if (code == 401 && xmsg.startsWith("Invalid credentials")) {
            return new HubException(HubException.Kind.UNAUTHORIZED, "the hub refused the token in HF_TOKEN (HTTP 401: " + xmsg
                    + "); set HF_TOKEN to a valid access token, or unset it for public repositories");
        }
        if (xcode.equals("RepoNotFound") || code == 401 || code == 404) {
            return new HubException(HubException.Kind.REPO_NOT_FOUND, "the hub at " + settings.endpoint() + " has no repository "
                    + repo + " (HTTP " + code + " 'Repository Not Found'): check the id; " + tokenHint);
        }
        if (code == 403) {
            return new HubException(HubException.Kind.UNAUTHORIZED, "the hub forbids access to " + repo + " (HTTP 403"
                    + (xmsg.isEmpty() ? "" : ": " + xmsg) + "); check that the token in HF_TOKEN may read it");
        }
        if (code == 429 || code >= 500) {
            return new HubException(HubException.Kind.SERVER, "the hub failed while serving " + repo
                    + (what.path() == null ? "" : "/" + what.path()) + " (HTTP " + code + (xmsg.isEmpty() ? "" : ": " + xmsg)
                    + "); try again later" + (code == 429 ? " (too many requests)" : ""));
        }
        return new HubException(HubException.Kind.PROTOCOL, "unexpected answer HTTP " + code + " from " + url
                + (xmsg.isEmpty() ? "" : ": " + xmsg));
    }

    /** Percent-encodes as Python's {@code urllib.parse.quote}: unreserved characters stay, and {@code /} when asked. */
    static String quote(String s, boolean keepSlash) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (x & 0xff);
            boolean plain = c < 128 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0 || keepSlash && c == '/');
            if (plain) b.append(c);
            else b.append('%').append(String.format(Locale.ROOT, "%02X", x & 0xff));
        }
        return b.toString();
    }
}
