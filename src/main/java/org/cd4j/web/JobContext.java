package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * What a running job sees: its parameters and folder, the stores ({@link Services}), a log, a
 * progress object that reaches the browser over server-sent events, and stop requests (a user's
 * cancel, or the server shutting down — after which the job is resumed at the next start).
 */
public final class JobContext {
    /** Thrown by a job that stopped early because it was asked to. */
    public static final class Stopped extends Exception {
        public Stopped() {
            super("stopped", null, false, false);
        }
    }

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final Job job;
    private final Path dir;
    private final Services services;
    private final JobQueue queue;
    private volatile boolean cancelRequested;
    private volatile boolean shutdownRequested;
    private volatile Runnable onStop;
    /** (step, nanoTime) of recent steps, for the rate over a moving window. */
    private final ArrayDeque<long[]> recent = new ArrayDeque<>();

    JobContext(Job job, Path dir, Services services, JobQueue queue) {
        this.job = job;
        this.dir = dir;
        this.services = services;
        this.queue = queue;
    }

    public Job job() {
        return job;
    }

    public ObjectNode params() {
        return job.params();
    }

    /** The job's own folder ({@code jobs/<id>}). */
    public Path dir() {
        return dir;
    }

    public Services services() {
        return services;
    }

    /** Appends a line to the job's log (file and live view); the server's workdir path is left out. */
    public void log(String line) {
        String stamped = LocalTime.now().format(CLOCK) + "  " + line.replace(services.workdir().root() + "/", "");
        try {
            Files.writeString(dir.resolve(JobStore.LOG), stamped + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the live view still gets the line; a full disk shows up in the job's result
        }
        ObjectNode o = Json.object();
        o.put("job", job.id());
        o.put("line", stamped);
        queue.bus().publish("log", o);
    }

    /** Changes the progress and tells the browsers. */
    public void progress(Consumer<ObjectNode> update) {
        job.updateProgress(update);
        queue.changed(job, false);
    }

    /**
     * Records step {@code step} of {@code total} with the rate over the last steps (it/s) and the
     * time left at that rate, plus whatever {@code extra} adds.
     */
    public void step(String phase, int step, int total, Consumer<ObjectNode> extra) {
        long now = System.nanoTime();
        double rate = Double.NaN;
        synchronized (recent) {
            if (!recent.isEmpty() && recent.peekLast()[0] >= step) recent.clear(); // a new phase restarted the count
            recent.addLast(new long[]{step, now});
            while (recent.size() > 20) recent.removeFirst();
            if (recent.size() >= 2) {
                long[] a = recent.peekFirst();
                double secs = (now - a[1]) / 1e9;
                if (secs > 0) rate = (step - a[0]) / secs;
            }
        }
        double itPerSec = rate;
        progress(p -> {
            p.put("phase", phase);
            p.put("step", step);
            p.put("total", total);
            p.put("fraction", total > 0 ? Math.min(1.0, step / (double) total) : 0.0);
            if (Double.isFinite(itPerSec) && itPerSec > 0) {
                p.put("itPerSec", itPerSec);
                p.put("etaSeconds", (total - step) / itPerSec);
            } else {
                p.remove("itPerSec");
                p.remove("etaSeconds");
            }
            if (extra != null) extra.accept(p);
        });
    }

    /** Tells the browsers about a new picture the job made (a validation image, a generated image). */
    public void image(String kind, String url, JsonNode info) {
        ObjectNode o = Json.object();
        o.put("job", job.id());
        o.put("kind", kind);
        o.put("url", url);
        if (info != null) o.set("info", info);
        queue.bus().publish("image", o);
    }

    /** Whether the job should stop (cancelled by the user, or the server is shutting down). */
    public boolean stopRequested() {
        return cancelRequested || shutdownRequested;
    }

    /** Whether the server is shutting down (the job will be resumed at the next start). */
    public boolean shutdownRequested() {
        return shutdownRequested;
    }

    /** Throws {@link Stopped} when a stop was requested. */
    public void checkStop() throws Stopped {
        if (stopRequested()) throw new Stopped();
    }

    /** Registers what to do on a stop request (e.g. ask the trainer to checkpoint and return). */
    public void onStop(Runnable r) {
        onStop = r;
        if (stopRequested()) r.run();
    }

    void cancel() {
        cancelRequested = true;
        fireStop();
    }

    void shutdown() {
        shutdownRequested = true;
        fireStop();
    }

    private void fireStop() {
        Runnable r = onStop;
        if (r != null) r.run();
    }
}
