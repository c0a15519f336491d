package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import org.cd4j.io.ImageFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code /api/jobs}: submit, list, inspect (log, loss curve, validation pictures), cancel, resume, delete. */
final class JobsApi {
    private JobsApi() {}

    static void register(RoutesConfig r, JobQueue queue) {
        JobStore store = queue.store();
        r.get("/api/jobs", ctx -> {
            String type = ctx.queryParam("type");
            ArrayNode a = Json.array();
            List<Job> all = store.all();
            for (int i = all.size() - 1; i >= 0; i--) {
                Job j = all.get(i);
                if (type == null || type.equals(j.type())) a.add(j.toJson());
            }
            Json.send(ctx, a);
        });
        r.post("/api/jobs/{type}", ctx -> {
            Job j = queue.submit(ctx.pathParam("type"), Json.body(ctx));
            ctx.status(202);
            Json.send(ctx, j.toJson());
        });
        r.get("/api/jobs/{id}", ctx -> {
            Job j = store.get(ctx.pathParam("id"));
            ObjectNode o = j.toJson();
            o.set("validation", validation(store, j));
            Json.send(ctx, o);
        });
        r.get("/api/jobs/{id}/log", ctx -> {
            ObjectNode o = Json.object();
            ArrayNode a = o.putArray("lines");
            store.logTail(ctx.pathParam("id"), 2000).forEach(a::add);
            Json.send(ctx, o);
        });
        r.get("/api/jobs/{id}/metrics", ctx -> Json.send(ctx, metrics(store, store.get(ctx.pathParam("id")))));
        r.get("/api/jobs/{id}/validation/{file}", ctx -> {
            Job j = store.get(ctx.pathParam("id"));
            Path dir = store.dir(j.id()).resolve(TrainJob.OUTPUT).resolve("validation");
            Path f = queueWorkdir(queue).child(dir, ctx.pathParam("file"), "picture");
            if (!Files.isRegularFile(f) || !ImageFiles.isImageName(f)) throw ApiException.notFound("no validation picture '" + ctx.pathParam("file") + "'");
            WebFiles.send(ctx, f, null);
        });
        r.post("/api/jobs/{id}/cancel", ctx -> Json.send(ctx, queue.cancel(ctx.pathParam("id")).toJson()));
        r.post("/api/jobs/{id}/resume", ctx -> Json.send(ctx, queue.resume(ctx.pathParam("id")).toJson()));
        r.delete("/api/jobs/{id}", ctx -> {
            queue.delete(ctx.pathParam("id"));
            ctx.status(204);
        });
    }

    private static Workdir queueWorkdir(JobQueue q) {
        return q.services().workdir();
    }

    /** The validation pictures a training wrote so far, oldest first. */
    private static ArrayNode validation(JobStore store, Job j) throws IOException {
        ArrayNode a = Json.array();
        Path dir = store.dir(j.id()).resolve(TrainJob.OUTPUT).resolve("validation");
        if (!Files.isDirectory(dir)) return a;
        for (Path p : ImageFiles.listImages(dir)) {
            String n = p.getFileName().toString();
            ObjectNode o = a.addObject();
            o.put("url", "/api/jobs/" + j.id() + "/validation/" + n);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("step-(\\d+)").matcher(n);
            if (m.find()) o.put("step", Integer.parseInt(m.group(1)));
        }
        return a;
    }

    /** The loss curve so far: {@code {step: [...], loss: [...], lr: [...]}} from metrics.jsonl. */
    private static ObjectNode metrics(JobStore store, Job j) throws IOException {
        ObjectNode o = Json.object();
        ArrayNode steps = o.putArray("step"), loss = o.putArray("loss"), lr = o.putArray("lr");
        Path f = store.dir(j.id()).resolve(TrainJob.OUTPUT).resolve("metrics.jsonl");
        if (!Files.isRegularFile(f)) return o;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                JsonNode n = Json.MAPPER.readTree(line);
                steps.add(n.path("step").asInt());
                double l = n.path("loss").asDouble(Double.NaN);
                if (Double.isFinite(l)) loss.add(l);
                else loss.addNull();
                lr.add(n.path("lr").asDouble());
            } catch (IOException e) {
                // a line being written right now
            }
        }
        return o;
    }
}
