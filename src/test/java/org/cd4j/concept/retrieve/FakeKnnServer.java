package org.cd4j.concept.retrieve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for a clip-retrieval back end and the image hosts its results point at
 * (com.sun.net.httpserver on 127.0.0.1, any free port). {@code POST /knn-service} answers the
 * first {@code num_images} of the configured results in the back end's format and records every
 * request; {@code GET /img/<name>} serves whatever was configured for that name: a picture, an
 * error status, an HTML page, a slow answer, a stalled body, a flaky 500-then-picture.
 */
public final class FakeKnnServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One result of the service. */
    public record Result(String url, String caption, double similarity) {}

    /** What an image path answers. */
    private record Route(int status, byte[] body, String type, long delayMs, boolean stallBody, int failuresFirst, boolean chunked) {}

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-knn");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final List<JsonNode> queries = Collections.synchronizedList(new ArrayList<>());
    private volatile List<Result> results = List.of();
    private volatile int serviceStatus = 200;
    private volatile String serviceBody;
    private volatile long serviceDelayMs;

    private FakeKnnServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(pool);
        server.createContext("/knn-service", this::service);
        server.createContext("/img/", this::image);
    }

    public static FakeKnnServer start() throws IOException {
        FakeKnnServer s = new FakeKnnServer();
        s.server.start();
        return s;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public String serviceUrl() {
        return url("/knn-service");
    }

    /** The address of an image path. */
    public String img(String name) {
        return url("/img/" + name);
    }

    /** The service's results, best first. */
    public void results(List<Result> r) {
        results = List.copyOf(r);
    }

    /** Makes the service answer {@code status} with {@code body} (200 with null: normal answers). */
    public void serviceAnswers(int status, String body) {
        serviceStatus = status;
        serviceBody = body;
    }

    /** Makes the service wait before answering. */
    public void serviceDelay(long ms) {
        serviceDelayMs = ms;
    }

    /** Every request body the service received, in order. */
    public List<JsonNode> queries() {
        synchronized (queries) {
            return List.copyOf(queries);
        }
    }

    public void picture(String name, byte[] bytes) {
        routes.put(name, new Route(200, bytes, "image/png", 0, false, 0, false));
    }

    public void status(String name, int status) {
        routes.put(name, new Route(status, ("<html>error " + status + "</html>").getBytes(StandardCharsets.UTF_8), "text/html", 0, false, 0, false));
    }

    public void html(String name) {
        routes.put(name, new Route(200, "<html><body>this picture was removed</body></html>".getBytes(StandardCharsets.UTF_8), "text/html", 0, false, 0, false));
    }

    /** Answers only after {@code delayMs} (headers included). */
    public void slow(String name, byte[] bytes, long delayMs) {
        routes.put(name, new Route(200, bytes, "image/png", delayMs, false, 0, false));
    }

    /** Sends the headers and half the body, then stops sending for {@code stallMs}. */
    public void stalled(String name, byte[] bytes, long stallMs) {
        routes.put(name, new Route(200, bytes, "image/png", stallMs, true, 0, false));
    }

    /** Answers 500 {@code failures} times, then the picture. */
    public void flaky(String name, byte[] bytes, int failures) {
        routes.put(name, new Route(200, bytes, "image/png", 0, false, failures, false));
    }

    /** The picture without a declared length (chunked), so only the received bytes can show its size. */
    public void chunked(String name, byte[] bytes) {
        routes.put(name, new Route(200, bytes, "image/png", 0, false, 0, true));
    }

    /** How many requests reached an image path. */
    public int hits(String name) {
        AtomicInteger n = hits.get(name);
        return n == null ? 0 : n.get();
    }

    private void service(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode q = JSON.readTree(ex.getRequestBody().readAllBytes());
            queries.add(q);
            sleep(serviceDelayMs);
            if (serviceStatus != 200 || serviceBody != null) {
                send(ex, serviceStatus, serviceBody == null ? new byte[0] : serviceBody.getBytes(StandardCharsets.UTF_8), "application/json", false);
                return;
            }
            int n = q.get("num_images").asInt();
            ArrayNode a = JSON.createArrayNode();
            List<Result> all = results;
            for (int i = 0; i < Math.min(n, all.size()); i++) {
                ObjectNode o = a.addObject();
                o.put("caption", all.get(i).caption());
                o.put("url", all.get(i).url());
                o.put("id", i);
                o.put("similarity", all.get(i).similarity());
            }
            send(ex, 200, JSON.writeValueAsBytes(a), "application/json", false);
        }
    }

    /** The most picture requests that were being answered at the same time. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    private void image(HttpExchange ex) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try (ex) {
            String name = ex.getRequestURI().getPath().substring("/img/".length());
            int hit = hits.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            Route r = routes.get(name);
            if (r == null) {
                send(ex, 404, "not found".getBytes(StandardCharsets.UTF_8), "text/plain", false);
                return;
            }
            if (hit <= r.failuresFirst()) {
                send(ex, 500, "try again".getBytes(StandardCharsets.UTF_8), "text/plain", false);
                return;
            }
            if (r.stallBody()) {
                ex.getResponseHeaders().set("Content-Type", r.type());
                ex.sendResponseHeaders(r.status(), r.body().length);
                OutputStream out = ex.getResponseBody();
                out.write(r.body(), 0, r.body().length / 2);
                out.flush();
                sleep(r.delayMs());
                out.write(r.body(), r.body().length / 2, r.body().length - r.body().length / 2);
                return;
            }
            sleep(r.delayMs());
            send(ex, r.status(), r.body(), r.type(), r.chunked());
        } catch (IOException e) {
            // the client gave up (time-out, size limit): nothing to do
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body, String type, boolean chunked) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, chunked ? 0 : body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < body.length; i += 4096) {
                out.write(body, i, Math.min(4096, body.length - i));
                if (chunked) out.flush();
            }
        }
    }

    private static void sleep(long ms) {
        if (ms <= 0) return;
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A PNG of {@code w × h} whose pixels depend on {@code seed} (different seeds: different pictures). */
    public static byte[] png(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(seed);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(0x1000000));
        return encode(img, "png");
    }

    /** A PNG of one colour (small however large it is). */
    public static byte[] flatPng(int w, int h) {
        return encode(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png");
    }

    /** A JPEG of the same kind. */
    public static byte[] jpeg(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, ((x * 7 + seed * 31) & 0xFF) << 16 | ((y * 5) & 0xFF) << 8 | (seed & 0xFF));
        return encode(img, "jpeg");
    }

    private static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, b)) throw new IllegalStateException("no " + format + " writer");
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
