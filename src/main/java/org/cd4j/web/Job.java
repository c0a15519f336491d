package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Locale;

/**
 * One unit of background work (a training run, a generation, regularisation images …) as kept in
 * {@code jobs/<id>/job.json}: what to do ({@code type}, {@code params}), where it is
 * ({@code state}, {@code progress}) and how it ended ({@code result} or {@code error}).
 * The file is rewritten on every change, so a restarted server knows exactly what was running.
 */
public final class Job {
    /** The life of a job. Only {@link #QUEUED} and {@link #RUNNING} are unfinished. */
    public enum State {
        QUEUED, RUNNING, DONE, FAILED, CANCELLED;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }

        public boolean finished() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    private final String id;
    private final String type;
    private final String lane;
    private final String name;
    private final String created;
    private final ObjectNode params;
    private State state;
    private String started;
    private String finished;
    private ObjectNode progress = Json.object();
    private JsonNode result;
    private String error;
    private int attempts;

    Job(String id, String type, String lane, String name, String created, ObjectNode params) {
        this.id = id;
        this.type = type;
        this.lane = lane;
        this.name = name;
        this.created = created;
        this.params = params;
        this.state = State.QUEUED;
    }

    /** A new queued job. */
    static Job create(String id, JobKind kind, String name, ObjectNode params) {
        return new Job(id, kind.type(), kind.lane(), name, Instant.now().toString(), params);
    }

    public String id() {
        return id;
    }

    public String type() {
        return type;
    }

    public String lane() {
        return lane;
    }

    public String name() {
        return name;
    }

    /** The checked parameters the job runs with (not to be modified). */
    public ObjectNode params() {
        return params;
    }

    public synchronized State state() {
        return state;
    }

    /** How many times the job has been started (more than 1 after a resume or a restart). */
    public synchronized int attempts() {
        return attempts;
    }

    public synchronized JsonNode result() {
        return result;
    }

    synchronized void started() {
        state = State.RUNNING;
        attempts++;
        if (started == null) started = Instant.now().toString();
        finished = null;
        error = null;
    }

    synchronized void requeued() {
        state = State.QUEUED;
        finished = null;
    }

    synchronized void finish(State s, JsonNode result, String error) {
        state = s;
        this.result = result;
        this.error = error;
        finished = Instant.now().toString();
    }

    /** Changes the progress object under the job's lock. */
    synchronized void updateProgress(java.util.function.Consumer<ObjectNode> update) {
        update.accept(progress);
    }

    /** The job as the API shows it and as job.json stores it. */
    public synchronized ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("type", type);
        o.put("lane", lane);
        o.put("name", name);
        o.put("state", state.id());
        o.put("created", created);
        o.put("started", started);
        o.put("finished", finished);
        o.put("attempts", attempts);
        o.set("params", params);
        o.set("progress", progress.deepCopy());
        o.set("result", result);
        o.put("error", error);
        return o;
    }

    /** Reads a stored job. */
    static Job fromJson(JsonNode o) {
        String id = o.path("id").asText();
        if (!Workdir.isSafeName(id)) throw new IllegalArgumentException("bad job id '" + id + "'");
        JsonNode p = o.get("params");
        Job j = new Job(id, o.path("type").asText(), o.path("lane").asText(JobQueue.MAIN), o.path("name").asText(id),
                o.path("created").asText(""), p instanceof ObjectNode on ? on : Json.object());
        j.state = State.parse(o.path("state").asText("failed"));
        j.started = text(o, "started");
        j.finished = text(o, "finished");
        j.attempts = o.path("attempts").asInt(0);
        if (o.get("progress") instanceof ObjectNode pr) j.progress = pr;
        JsonNode r = o.get("result");
        j.result = r == null || r.isNull() ? null : r;
        j.error = text(o, "error");
        return j;
    }

    private static String text(JsonNode o, String f) {
        JsonNode v = o.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }
}
