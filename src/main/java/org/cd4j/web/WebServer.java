package org.cd4j.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import org.cd4j.io.FormatException;
import org.cd4j.sched.Samplers;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The web app: a single page (plain HTML/CSS/JS from the jar) and a JSON API over the workdir,
 * with jobs running on background lanes ({@link JobQueue}) and live progress as server-sent
 * events ({@link EventBus}). Every request passes the {@link Guard}; every error is JSON.
 */
public final class WebServer implements AutoCloseable {
    private final Javalin app;
    private final JobQueue queue;
    private final EventBus bus;
    private final String token;
    private final String host;
    private final FileLock lock;
    private final FileChannel lockChannel;

    private WebServer(Javalin app, JobQueue queue, EventBus bus, String token, String host, FileChannel ch, FileLock lock) {
        this.app = app;
        this.queue = queue;
        this.bus = bus;
        this.token = token;
        this.host = host;
        this.lockChannel = ch;
        this.lock = lock;
    }

    /** Checks the options, recovers the job queue and starts serving. */
    public static WebServer start(ServeOptions o) throws IOException {
        Workdir wd = Workdir.open(o.workdir());
        FileChannel ch = FileChannel.open(wd.root().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IllegalStateException("another cd4j serve is using the workdir " + wd.root());
        }
        try {
            // half-finished uploads of a server that was killed
            Workdir.deleteTree(wd.tmp());
            java.nio.file.Files.createDirectories(wd.tmp());
            ModelRegistry models = ModelRegistry.of(o.models());
            Services s = new Services(wd, models, new Datasets(wd), new DeltaStore(wd), new Gallery(wd), new GenerationEngine(),
                    CollectionRegistry.of(o.collections()));
            EventBus bus = new EventBus();
            JobQueue queue = new JobQueue(new JobStore(wd), bus, s, kinds());
            String token = o.effectiveToken();
            Guard guard = new Guard(token);
            queue.start();
            Javalin app = Javalin.create(cfg -> configure(cfg, s, queue, bus, guard));
            app.start(o.host(), o.port());
            return new WebServer(app, queue, bus, token, o.host(), ch, lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /** The job types this server runs. */
    static List<JobKind> kinds() {
        List<JobKind> k = new ArrayList<>();
        k.add(new TrainJob());
        k.add(new GenerateJob());
        k.add(new RegImagesJob());
        k.add(new RetrieveJob());
        k.add(new CompressJob());
        k.add(new MergeJob());
        return k;
    }

    private static void configure(JavalinConfig cfg, Services s, JobQueue queue, EventBus bus, Guard guard) {
        cfg.startup.showJavalinBanner = false;
        cfg.http.maxRequestSize = 1_000_000L; // JSON bodies; uploads are multipart with their own limits
        cfg.jetty.multipartConfig.cacheDirectory(s.workdir().tmp().toString());
        cfg.jetty.multipartConfig.maxFileSize(DeltaUpload.MAX_BYTES, SizeUnit.BYTES);
        cfg.jetty.multipartConfig.maxTotalRequestSize(2L * 1024 * 1024 * 1024, SizeUnit.BYTES);
        cfg.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
        cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
        cfg.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new JsonErrorHandler()));
        cfg.staticFiles.add(sf -> {
            sf.hostedPath = "/";
            sf.directory = "/org/cd4j/web/public"; // not the package root: class files must not be served
            sf.location = Location.CLASSPATH;
            sf.headers = Map.of("Cache-Control", "no-cache");
        });
        var r = cfg.routes;
        r.before(guard::check);
        r.exception(ApiException.class, (e, ctx) -> Json.error(ctx, e.status(), e.getMessage()));
        r.exception(HttpResponseException.class, (e, ctx) -> Json.error(ctx, e.getStatus(), e.getMessage()));
        r.exception(Exception.class, (e, ctx) -> {
            if (e instanceof IllegalArgumentException || e instanceof FormatException) {
                Json.error(ctx, 400, e.getMessage());
            } else {
                System.err.println("cd4j serve: " + ctx.method() + " " + ctx.path() + " failed");
                e.printStackTrace();
                Json.error(ctx, 500, "internal error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        });
        r.error(404, ctx -> {
            if (ctx.path().startsWith("/api/") && (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{"))) {
                Json.error(ctx, 404, "no such endpoint: " + ctx.method() + " " + Workdir.shorten(ctx.path()));
            }
        });
        r.error(405, ctx -> Json.error(ctx, 405, "method not allowed"));
        r.get("/api/info", ctx -> Json.send(ctx, info(s, queue, guard)));
        r.sse("/api/events", bus::add);
        JobsApi.register(r, queue);
        DatasetsApi.register(r, s.datasets(), queue);
        DeltasApi.register(r, s.deltas(), s.workdir());
        GalleryApi.register(r, s.gallery(), queue);
    }

    private static ObjectNode info(Services s, JobQueue queue, Guard guard) {
        ObjectNode o = Json.object();
        String v = WebServer.class.getPackage().getImplementationVersion();
        o.put("version", v == null ? "development build" : v);
        o.put("tokenRequired", guard.tokenRequired());
        o.set("models", s.models().toJson());
        o.set("collections", s.collections().toJson());
        ArrayNode sm = o.putArray("samplers");
        Samplers.entries().values().forEach(e -> {
            ObjectNode x = sm.addObject();
            x.put("name", e.name());
            x.put("takesEta", e.takesEta());
            x.put("takesKarras", e.takesKarras());
        });
        ArrayNode jt = o.putArray("jobTypes");
        queue.types().forEach(jt::add);
        ObjectNode l = o.putObject("limits");
        l.put("imageBytes", ImageUpload.MAX_BYTES);
        l.put("imagePixels", ImageUpload.MAX_PIXELS);
        l.put("imagesPerUpload", Datasets.MAX_PER_UPLOAD);
        l.put("imagesPerDataset", Datasets.MAX_IMAGES);
        l.put("deltaBytes", DeltaUpload.MAX_BYTES);
        l.put("deltaFiles", DeltaUpload.MAX_FILES);
        l.put("concepts", TrainSpec.MAX_CONCEPTS);
        l.put("generateImages", GenerateJob.MAX_IMAGES);
        l.put("deltasPerGeneration", GenerateJob.MAX_DELTAS);
        return o;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** The token requests must carry, or null. */
    public String token() {
        return token;
    }

    /** The address to open in a browser (with the token, which the page turns into a cookie). */
    public String url() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        if (h.equals("0.0.0.0") || h.equals("[::]")) h = "127.0.0.1";
        return "http://" + h + ":" + port() + "/" + (token == null ? "" : "?token=" + token);
    }

    /** Stops jobs (a training checkpoints and resumes at the next start), closes event streams and the server. */
    @Override
    public void close() {
        try {
            queue.close();
            bus.close();
            app.stop();
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
        }
    }
}
