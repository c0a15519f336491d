package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.io.FormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The persistent job queue. Each lane is one worker thread that runs its jobs one at a time, in
 * the order they were submitted: {@link #MAIN} (training, regularisation images, compress, merge)
 * and {@link #GENERATE} (image generation, so a picture can be made while a training runs; the
 * two share the CPU). HTTP requests only enqueue, so the server keeps answering while jobs run.
 *
 * <p>Restart safety: a job that was running when the server stopped (orderly, or killed) is
 * queued again at the next start; a training job then continues from its last checkpoint. An
 * orderly stop asks running jobs to stop (a training writes a checkpoint first) and waits.
 */
public final class JobQueue implements AutoCloseable {
    /** The lane of training and other long jobs. */
    public static final String MAIN = "main";
    /** The lane of image generation. */
    public static final String GENERATE = "generate";

    private final JobStore store;
    private final EventBus bus;
    private final Services services;
    private final Map<String, JobKind> kinds = new LinkedHashMap<>();
    private final Map<String, LinkedBlockingQueue<String>> lanes = new LinkedHashMap<>();
    private final Map<String, JobContext> running = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSaved = new ConcurrentHashMap<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closing;

    JobQueue(JobStore store, EventBus bus, Services services, List<JobKind> kinds) {
        this.store = store;
        this.bus = bus;
        this.services = services;
        for (JobKind k : kinds) this.kinds.put(k.type(), k);
        lanes.put(MAIN, new LinkedBlockingQueue<>());
        lanes.put(GENERATE, new LinkedBlockingQueue<>());
    }

    EventBus bus() {
        return bus;
    }

    public JobStore store() {
        return store;
    }

    public Services services() {
        return services;
    }

    /** The registered job type, or 404. */
    public JobKind kind(String type) {
        JobKind k = kinds.get(type);
        if (k == null) throw ApiException.notFound("no job type '" + Workdir.shorten(type) + "' (known: " + String.join(", ", kinds.keySet()) + ")");
        return k;
    }

    public List<String> types() {
        return List.copyOf(kinds.keySet());
    }

    /** Re-queues what was unfinished at the last stop, then starts the workers. */
    void start() throws IOException {
        store.load();
        for (Job j : store.all()) {
            if (j.state() == Job.State.RUNNING) {
                j.requeued();
                store.save(j);
                appendLog(j, "the server stopped while this job ran; it continues now");
            }
            if (j.state() == Job.State.QUEUED) {
                LinkedBlockingQueue<String> q = lanes.get(j.lane());
                if (q == null || !kinds.containsKey(j.type())) {
                    j.finish(Job.State.FAILED, null, "this server cannot run jobs of type '" + j.type() + "'");
                    store.save(j);
                } else {
                    q.add(j.id());
                }
            }
        }
        for (String lane : lanes.keySet()) {
            Thread t = new Thread(() -> work(lane), "cd4j-jobs-" + lane);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
    }

    /** Checks a request with the job type and queues the job. */
    public Job submit(String type, JsonNode request) throws IOException {
        if (closing) throw new ApiException(503, "the server is shutting down");
        JobKind k = kind(type);
        ObjectNode params = k.prepare(request, services);
        Job j = Job.create(Workdir.newId("job"), k, k.title(params), params);
        store.add(j);
        lanes.get(k.lane()).add(j.id());
        changed(j, true);
        return j;
    }

    /** Cancels a queued job at once, or asks a running one to stop. */
    public Job cancel(String id) throws IOException {
        Job j = store.get(id);
        JobContext ctx = running.get(id);
        if (ctx != null) {
            ctx.log("cancel requested");
            ctx.cancel();
        } else if (j.state() == Job.State.QUEUED) {
            j.finish(Job.State.CANCELLED, null, null);
            changed(j, true);
        } else {
            throw ApiException.conflict("job " + id + " has already finished (" + j.state().id() + ")");
        }
        return j;
    }

    /** Queues a cancelled or failed job again, to continue where it stopped. */
    public Job resume(String id) throws IOException {
        Job j = store.get(id);
        JobKind k = kind(j.type());
        if (!k.resumable()) throw ApiException.conflict("jobs of type '" + j.type() + "' cannot be resumed; start a new one");
        if (j.state() != Job.State.CANCELLED && j.state() != Job.State.FAILED) {
            throw ApiException.conflict("only a cancelled or failed job can be resumed; job " + id + " is " + j.state().id());
        }
        j.requeued();
        appendLog(j, "resume requested");
        lanes.get(j.lane()).add(j.id());
        changed(j, true);
        return j;
    }

    /** Deletes a finished job and its folder. */
    public void delete(String id) throws IOException {
        Job j = store.get(id);
        if (!j.state().finished()) throw ApiException.conflict("job " + id + " is " + j.state().id() + "; cancel it first");
        store.remove(id);
        ObjectNode o = Json.object();
        o.put("id", id);
        bus.publish("deleted", o);
    }

    /** Whether a job that uses {@code datasetId} is queued or running (such a dataset may not be deleted). */
    public boolean datasetInUse(String datasetId) {
        for (Job j : store.all()) {
            if (!j.state().finished() && j.params().toString().contains("\"" + datasetId + "\"")) return true;
        }
        return false;
    }

    /** Saves (at most once a second for progress alone) and tells the browsers. */
    void changed(Job j, boolean important) {
        long now = System.nanoTime();
        Long last = lastSaved.get(j.id());
        if (important || last == null || now - last > 1_000_000_000L) {
            lastSaved.put(j.id(), now);
            try {
                store.save(j);
            } catch (IOException e) {
                System.err.println("cd4j serve: cannot save job " + j.id() + ": " + e.getMessage());
            }
        }
        bus.publish("job", j.toJson());
    }

    private void work(String lane) {
        LinkedBlockingQueue<String> q = lanes.get(lane);
        while (!closing) {
            String id;
            try {
                id = q.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (id == null || closing) continue;
            Job j;
            try {
                j = store.get(id);
            } catch (ApiException e) {
                continue; // deleted while queued
            }
            if (j.state() == Job.State.QUEUED) run(j);
        }
    }

    private void run(Job j) {
        JobKind k = kinds.get(j.type());
        JobContext ctx = new JobContext(j, store.dir(j.id()), services, this);
        running.put(j.id(), ctx);
        j.started();
        changed(j, true);
        if (j.attempts() > 1) ctx.log("continuing (attempt " + j.attempts() + ")");
        try {
            JsonNode result = k.run(ctx);
            j.finish(Job.State.DONE, result, null);
            ctx.log("finished");
        } catch (JobContext.Stopped e) {
            if (ctx.shutdownRequested()) {
                j.requeued();
                ctx.log("stopped for a server shutdown; it continues at the next start");
            } else {
                j.finish(Job.State.CANCELLED, j.result(), null);
                ctx.log("cancelled");
            }
        } catch (ApiException | IllegalArgumentException | FormatException | NoSuchFileException | UncheckedIOException e) {
            String m = message(e);
            j.finish(Job.State.FAILED, null, m);
            ctx.log("failed: " + m);
        } catch (Throwable t) {
            String m = message(t);
            j.finish(Job.State.FAILED, null, "internal error: " + m);
            ctx.log("failed: internal error: " + m);
            System.err.println("cd4j serve: job " + j.id() + " failed");
            t.printStackTrace();
        } finally {
            running.remove(j.id());
            j.updateProgress(p -> {
                p.remove("etaSeconds");
            });
            changed(j, true);
            if (j.lane().equals(GENERATE)) pruneGenerations();
        }
    }

    /** Most finished generation jobs kept (their pictures live on in the gallery; only the job records go). */
    static final int KEEP_GENERATIONS = 200;

    /** Drops the oldest finished generation jobs beyond {@link #KEEP_GENERATIONS}. */
    private void pruneGenerations() {
        List<Job> done = store.all().stream().filter(x -> x.lane().equals(GENERATE) && x.state().finished()).toList();
        for (int i = 0; i < done.size() - KEEP_GENERATIONS; i++) {
            try {
                store.remove(done.get(i).id());
            } catch (IOException e) {
                System.err.println("cd4j serve: cannot remove old job " + done.get(i).id() + ": " + e.getMessage());
            }
        }
    }

    /** A failure's message for the user, with the server's workdir path taken out. */
    private String message(Throwable t) {
        String m = t instanceof NoSuchFileException n ? "file not found: " + n.getFile() : t.getMessage();
        if (m == null || m.isBlank()) m = t.getClass().getSimpleName();
        // libtorch errors carry a C++ backtrace after the first line
        int trace = m.indexOf("Exception raised from");
        if (trace > 0) m = m.substring(0, trace).strip();
        return m.replace(services.workdir().root() + "/", "");
    }

    private void appendLog(Job j, String line) {
        new JobContext(j, store.dir(j.id()), services, this).log(line);
    }

    /** Asks running jobs to stop (a training checkpoints first), waits for them, and ends the workers. */
    @Override
    public void close() {
        closing = true;
        for (JobContext c : running.values()) c.shutdown();
        for (Thread t : workers) {
            try {
                t.join(TimeUnit.MINUTES.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
