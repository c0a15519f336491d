package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.io.Png;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Generated pictures under {@code workdir/gallery/}: {@code <id>.png} with the generation
 * parameters embedded as PNG text (an A1111-style {@code parameters} line that other tools read,
 * and the exact JSON as {@code cd4j-parameters}), and {@code <id>.json} beside it so the page can
 * list pictures without decoding them.
 */
public final class Gallery {
    private final Workdir workdir;

    Gallery(Workdir workdir) {
        this.workdir = workdir;
    }

    /** Saves a picture with its parameters; returns its gallery entry. */
    public ObjectNode save(String id, BufferedImage img, ObjectNode params) throws IOException {
        Workdir.checkName(id, "picture");
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", a1111(params));
        text.put("cd4j-parameters", params.toString());
        text.put("Software", "cd4j");
        Png.write(workdir.gallery().resolve(id + ".png"), img, text, false);
        ObjectNode meta = Json.object();
        meta.put("created", Instant.now().toString());
        meta.put("width", img.getWidth());
        meta.put("height", img.getHeight());
        meta.set("params", params);
        Json.write(workdir.gallery().resolve(id + ".json"), meta);
        return entry(id, meta);
    }

    private static ObjectNode entry(String id, JsonNode meta) {
        ObjectNode o = meta instanceof ObjectNode on ? on.deepCopy() : Json.object();
        o.put("id", id);
        o.put("url", "/api/gallery/" + id + ".png");
        o.put("download", "/api/gallery/" + id + ".png?download=1");
        return o;
    }

    /** The newest {@code max} pictures first. */
    public ArrayNode list(int max) throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(workdir.gallery(), "*.json")) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                String id = f.substring(0, f.length() - 5);
                if (Workdir.isSafeName(id) && Files.isRegularFile(workdir.gallery().resolve(id + ".png"))) ids.add(id);
            }
        }
        ids.sort(java.util.Comparator.reverseOrder());
        ArrayNode a = Json.array();
        for (String id : ids.subList(0, Math.min(max, ids.size()))) {
            JsonNode m = Json.read(workdir.gallery().resolve(id + ".json"));
            a.add(entry(id, m));
        }
        return a;
    }

    /** The PNG of a picture; {@code file} is {@code <id>.png} (404 when missing). */
    public Path file(String file) {
        if (file == null || !file.endsWith(".png")) throw ApiException.notFound("no picture '" + Workdir.shorten(file) + "'");
        Path p = workdir.child(workdir.gallery(), file, "picture");
        if (!Files.isRegularFile(p)) throw ApiException.notFound("no picture '" + file + "'");
        return p;
    }

    public void delete(String id) throws IOException {
        Path png = file(id.endsWith(".png") ? id : id + ".png");
        String stem = png.getFileName().toString().replaceAll("\\.png$", "");
        Files.delete(png);
        Files.deleteIfExists(workdir.gallery().resolve(stem + ".json"));
    }

    /** The parameters as the A1111 "parameters" text chunk. */
    static String a1111(JsonNode p) {
        StringBuilder s = new StringBuilder(p.path("prompt").asText());
        String neg = p.path("negativePrompt").asText("");
        if (!neg.isEmpty()) s.append("\nNegative prompt: ").append(neg);
        s.append("\nSteps: ").append(p.path("steps").asInt());
        s.append(", Sampler: ").append(p.path("sampler").asText("default"));
        s.append(", CFG scale: ").append(fmt(p.path("guidance").asDouble()));
        s.append(", Seed: ").append(p.path("seed").asLong());
        s.append(", Size: ").append(p.path("width").asInt()).append('x').append(p.path("height").asInt());
        s.append(", Model: ").append(p.path("model").asText());
        if (p.path("eta").asDouble() != 0) s.append(", Eta: ").append(fmt(p.path("eta").asDouble()));
        JsonNode ds = p.path("deltas");
        if (ds.isArray() && !ds.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (JsonNode d : ds) parts.add(d.path("name").asText() + ":" + fmt(d.path("strength").asDouble()));
            s.append(", Deltas: ").append(String.join(" ", parts));
        }
        return s.toString();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%s", d);
    }
}
