package org.cd4j.web;

import io.javalin.config.RoutesConfig;
import io.javalin.http.UploadedFile;
import org.cd4j.concept.delta.Cd4jDeltaFile;

import java.util.ArrayList;
import java.util.List;

/** {@code /api/deltas}: the delta library (list, upload in any format, download, rename, delete). */
final class DeltasApi {
    private DeltasApi() {}

    static void register(RoutesConfig r, DeltaStore store, Workdir wd) {
        r.get("/api/deltas", ctx -> Json.send(ctx, store.list()));
        r.post("/api/deltas", ctx -> {
            List<DeltaUpload.Part> parts = new ArrayList<>();
            for (UploadedFile f : WebFiles.uploads(ctx, "files")) parts.add(new DeltaUpload.Part(f.filename(), f.size(), f.content()));
            String name = ctx.formParam("name");
            if (name != null && name.length() > 64) throw ApiException.bad("the name is too long (at most 64 characters)");
            ctx.status(201);
            Json.send(ctx, DeltaUpload.importInto(store, wd, parts, name));
        });
        r.get("/api/deltas/{name}", ctx -> Json.send(ctx, store.describe(DeltaStore.checkName(ctx.pathParam("name")))));
        r.get("/api/deltas/{name}/file", ctx -> {
            String name = DeltaStore.checkName(ctx.pathParam("name"));
            WebFiles.send(ctx, store.file(name), name + Cd4jDeltaFile.SUFFIX);
        });
        r.patch("/api/deltas/{name}", ctx -> {
            String name = DeltaStore.checkName(ctx.pathParam("name"));
            Json.send(ctx, store.rename(name, Json.required(Json.body(ctx), "name", 64)));
        });
        r.delete("/api/deltas/{name}", ctx -> {
            store.delete(DeltaStore.checkName(ctx.pathParam("name")));
            ctx.status(204);
        });
    }
}
