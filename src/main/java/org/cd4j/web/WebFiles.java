package org.cd4j.web;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Sending stored files and reading multipart uploads, the same way for every endpoint. */
final class WebFiles {
    private WebFiles() {}

    /**
     * Sends a file the server found (never a path from the request).
     *
     * @param downloadName when not null, the browser saves the file under this name
     */
    static void send(Context ctx, Path file, String downloadName) throws IOException {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String type = n.endsWith(".png") ? "image/png" : n.endsWith(".jpg") || n.endsWith(".jpeg") ? "image/jpeg"
                : n.endsWith(".webp") ? "image/webp" : "application/octet-stream";
        ctx.contentType(type);
        ctx.header("Content-Length", Long.toString(Files.size(file)));
        ctx.header("Cache-Control", "private, max-age=60");
        if (downloadName != null) {
            ctx.header("Content-Disposition", "attachment; filename=\"" + downloadName.replaceAll("[^A-Za-z0-9_.-]", "_") + "\"");
        }
        ctx.result(Files.newInputStream(file));
    }

    /** The files of a multipart field (400 when the request is not a multipart upload). */
    static List<UploadedFile> uploads(Context ctx, String field) {
        if (!ctx.isMultipartFormData()) {
            throw ApiException.bad("send the files as multipart/form-data in the field '" + field + "'");
        }
        try {
            return ctx.uploadedFiles(field);
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("size") || m.contains("too large") || m.contains("exceed")) {
                throw new ApiException(413, "the upload is too large");
            }
            throw ApiException.bad("the upload could not be read as multipart/form-data");
        }
    }
}
