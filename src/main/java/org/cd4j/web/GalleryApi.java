package org.cd4j.web;

import io.javalin.config.RoutesConfig;

/** {@code /api/generate} and {@code /api/gallery}: queue a generation, list, show, download, delete pictures. */
final class GalleryApi {
    private GalleryApi() {}

    static void register(RoutesConfig r, Gallery gallery, JobQueue queue) {
        r.post("/api/generate", ctx -> {
            Job j = queue.submit("generate", Json.body(ctx));
            ctx.status(202);
            Json.send(ctx, j.toJson());
        });
        r.get("/api/gallery", ctx -> {
            String l = ctx.queryParam("limit");
            int limit = l == null ? 200 : Json.integer(Json.object().put("limit", l), "limit", 200, 1, 10_000);
            Json.send(ctx, gallery.list(limit));
        });
        r.get("/api/gallery/{file}", ctx -> {
            String file = ctx.pathParam("file");
            WebFiles.send(ctx, gallery.file(file), "1".equals(ctx.queryParam("download")) ? "cd4j-" + file : null);
        });
        r.delete("/api/gallery/{file}", ctx -> {
            gallery.delete(ctx.pathParam("file"));
            ctx.status(204);
        });
    }
}
