package org.cd4j.concept.retrieve;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The JDK HTTP client with the guards of {@link HttpSettings}: connect and header time-outs, an
 * idle time-out and a size limit while a body streams in ({@link LimitedBody}), and retries with
 * doubling pauses after transient failures. Redirects are followed (never from https to http).
 */
final class Http {
    /** Status codes worth another try: time-out, too early, too many requests, server errors. */
    static boolean transientStatus(int status) {
        return status == 408 || status == 425 || status == 429 || status >= 500;
    }

    /** One timer thread for every idle time-out of the process; a daemon, so it never keeps the JVM alive. */
    private static final ScheduledExecutorService TIMERS = timers();

    /** A finished exchange: status, body and the body's declared type. */
    record Answer(int status, byte[] body, String contentType) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient client;
    private final HttpSettings settings;

    Http(HttpSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance with arbitrary image hosts
                .build();
    }

    HttpSettings settings() {
        return settings;
    }

    /** A request to an http(s) address with the time-out for the headers. */
    HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(settings.timeout())
                .header("User-Agent", "Mozilla/5.0 (compatible; cd4j; +regularisation-image retrieval)");
    }

    /**
     * Sends {@code request}, retrying transient failures and transient statuses; returns the last
     * answer (whatever its status) or throws the last transport failure.
     *
     * @param maxBytes the largest body accepted
     */
    Answer send(HttpRequest request, long maxBytes) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            boolean last = attempt >= settings.retries();
            try {
                Answer a = once(request, maxBytes);
                if (!transientStatus(a.status()) || last) return a;
            } catch (FetchFailure f) {
                if (!f.transientFailure() || last) throw f;
            }
            long pause = settings.backoff().toMillis() << Math.min(attempt, 16);
            if (pause > 0) Thread.sleep(pause);
        }
    }

    private Answer once(HttpRequest request, long maxBytes) throws IOException, InterruptedException {
        CompletableFuture<java.net.http.HttpResponse<byte[]>> f = client.sendAsync(request, info -> {
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > maxBytes) return LimitedBody.refused(new FetchFailure("larger than " + maxBytes + " bytes", false, null));
            return new LimitedBody(maxBytes, settings.timeout(), TIMERS);
        });
        try {
            var r = f.get();
            return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
    }

    /** A transport problem as a countable failure. */
    static FetchFailure failure(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof FetchFailure f) return f;
        if (t instanceof HttpTimeoutException) return new FetchFailure("timed out", true, t.getMessage());
        if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException
                || (t instanceof ConnectException && t.getCause() instanceof UnresolvedAddressException)) {
            return new FetchFailure("unknown host", false, t.getMessage());
        }
        if (t instanceof ConnectException) return new FetchFailure("connection refused", true, t.getMessage());
        if (t instanceof IOException) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            return new FetchFailure("connection failed", true, m);
        }
        return new FetchFailure("failed", false, t.getClass().getSimpleName() + ": " + t.getMessage());
    }

    /** An address that must be http or https (the service's results may hold anything). */
    static URI httpUri(String address) throws FetchFailure {
        URI u;
        try {
            u = new URI(address.strip());
        } catch (java.net.URISyntaxException e) {
            // many LAION addresses hold raw spaces or unicode; quote what URI refuses
            try {
                u = new URI(quote(address.strip()));
            } catch (java.net.URISyntaxException e2) {
                throw new FetchFailure("not a valid address", false, e.getMessage());
            }
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new FetchFailure("not an http(s) address", false, address);
        }
        return u;
    }

    /** Percent-encodes the characters {@link URI} refuses (space, non-ASCII, a few others), keeping the rest. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = x & 0xFF;
            if (c <= 0x20 || c >= 0x7F || "\"<>\\^`{|}".indexOf(c) >= 0) b.append('%').append(String.format(Locale.ROOT, "%02X", c));
            else b.append((char) c);
        }
        return b.toString();
    }

    private static ScheduledExecutorService timers() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "cd4j-http-timeouts");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true); // re-armed on every chunk: cancelled timers must not pile up
        return t;
    }
}
