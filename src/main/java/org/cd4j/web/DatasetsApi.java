package org.cd4j.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.UploadedFile;

import java.util.ArrayList;
import java.util.List;

/** {@code /api/datasets}: image sets for training (upload with checks, thumbnails, delete). */
final class DatasetsApi {
    private DatasetsApi() {}

    static void register(RoutesConfig r, Datasets ds, JobQueue queue) {
        r.get("/api/datasets", ctx -> Json.send(ctx, ds.list()));
        r.post("/api/datasets", ctx -> {
            ObjectNode b = Json.body(ctx);
            ctx.status(201);
            Json.send(ctx, ds.create(Json.text(b, "name", null, 80), Json.text(b, "kind", "instance", 20), null, null, null));
        });
        r.get("/api/datasets/{id}", ctx -> Json.send(ctx, ds.get(ctx.pathParam("id"))));
        r.patch("/api/datasets/{id}", ctx -> Json.send(ctx, ds.rename(ctx.pathParam("id"), Json.required(Json.body(ctx), "name", 80))));
        r.delete("/api/datasets/{id}", ctx -> {
            String id = ctx.pathParam("id");
            ds.dir(id);
            if (queue.datasetInUse(id)) throw ApiException.conflict("a queued or running job uses this set; wait for it or cancel it");
            ds.delete(id);
            ctx.status(204);
        });
        r.post("/api/datasets/{id}/images", ctx -> {
            String id = ctx.pathParam("id");
            ds.dir(id);
            if (queue.datasetInUse(id)) throw ApiException.conflict("a queued or running job uses this set; wait for it or cancel it");
            List<Datasets.Upload> ups = new ArrayList<>();
            for (UploadedFile f : WebFiles.uploads(ctx, "files")) ups.add(new Datasets.Upload(f.filename(), f.size(), f.content()));
            Json.send(ctx, ds.add(id, ups));
        });
        r.get("/api/datasets/{id}/images/{name}", ctx -> {
            String id = ctx.pathParam("id"), name = ctx.pathParam("name");
            boolean thumb = "1".equals(ctx.queryParam("thumb"));
            WebFiles.send(ctx, thumb ? ds.thumb(id, name) : ds.image(id, name), null);
        });
        r.delete("/api/datasets/{id}/images/{name}", ctx -> {
            String id = ctx.pathParam("id");
            if (queue.datasetInUse(id)) throw ApiException.conflict("a queued or running job uses this set; wait for it or cancel it");
            ds.deleteImage(id, ctx.pathParam("name"));
            ctx.status(204);
        });
    }
}
