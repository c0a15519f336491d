package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.delta.Cd4jDeltaFile;
import org.cd4j.concept.delta.ConceptDelta;
import org.cd4j.concept.delta.DeltaWeight;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The delta library under {@code workdir/deltas/}: every delta, trained here or uploaded in any
 * supported format, is kept as {@code <name>.cd4j.safetensors} (lossless for every format cd4j
 * reads) with a {@code <name>.json} summary beside it (tokens, mode, size, where it came from),
 * so listing never loads tensors. Names are the user's, checked; files are the server's.
 */
public final class DeltaStore {
    /** What a delta name may look like (no dots, so the file suffix is unambiguous). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private final Workdir workdir;

    DeltaStore(Workdir workdir) {
        this.workdir = workdir;
    }

    /** Checks a delta name from a request. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw ApiException.bad("invalid delta name '" + Workdir.shorten(name) + "': use 1-64 letters, digits, '_' or '-',"
                    + " starting with a letter or digit");
        }
        return name;
    }

    /** A valid name made from any text (a file name, a job title). */
    public static String sanitize(String text) {
        String s = text == null ? "" : text.replaceAll("[^A-Za-z0-9_-]+", "-").replaceAll("^[-_]+|[-_]+$", "");
        if (s.length() > 48) s = s.substring(0, 48);
        return s.isEmpty() ? "delta" : s;
    }

    /** {@code base}, or {@code base-2}, {@code base-3} … whichever is free. */
    public synchronized String uniqueName(String base) {
        String b = sanitize(base);
        String n = b;
        for (int i = 2; Files.exists(file0(n)); i++) n = b + "-" + i;
        return n;
    }

    private Path file0(String name) {
        return workdir.deltas().resolve(name + Cd4jDeltaFile.SUFFIX);
    }

    /** The delta's file (404 when missing). */
    public Path file(String name) {
        checkName(name);
        Path p = workdir.child(workdir.deltas(), name + Cd4jDeltaFile.SUFFIX, "delta");
        if (!Files.isRegularFile(p)) throw ApiException.notFound("no delta '" + name + "'");
        return p;
    }

    /** Reads a delta. */
    public ConceptDelta load(String name) throws IOException {
        return Cd4jDeltaFile.read(file(name));
    }

    /** Every delta, newest first. */
    public synchronized ArrayNode list() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(workdir.deltas(), "*" + Cd4jDeltaFile.SUFFIX)) {
            for (Path p : ds) if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) files.add(p);
        }
        List<ObjectNode> out = new ArrayList<>();
        for (Path p : files) {
            String f = p.getFileName().toString();
            String name = f.substring(0, f.length() - Cd4jDeltaFile.SUFFIX.length());
            if (!NAME.matcher(name).matches()) continue;
            try {
                out.add(describe(name));
            } catch (IOException | RuntimeException e) {
                ObjectNode o = Json.object();
                o.put("name", name);
                o.put("error", "unreadable: " + e.getMessage());
                out.add(o);
            }
        }
        out.sort((a, b) -> b.path("created").asText("").compareTo(a.path("created").asText("")));
        ArrayNode a = Json.array();
        out.forEach(a::add);
        return a;
    }

    /** The summary of one delta (made and saved on first use for a file dropped into the folder). */
    public synchronized ObjectNode describe(String name) throws IOException {
        Path f = file(name);
        Path side = sidecar(name);
        JsonNode s = Json.read(side);
        ObjectNode o;
        if (s instanceof ObjectNode on && on.has("tokens")) {
            o = on;
        } else {
            o = summary(Cd4jDeltaFile.read(f));
            o.put("origin", "file");
            o.put("created", Files.getLastModifiedTime(f).toInstant().toString());
            Json.write(side, o);
        }
        o.put("name", name);
        o.put("bytes", Files.size(f));
        o.put("url", "/api/deltas/" + name + "/file");
        return o;
    }

    private Path sidecar(String name) {
        return workdir.deltas().resolve(name + ".json");
    }

    /** What the page shows of a delta. */
    static ObjectNode summary(ConceptDelta d) {
        ObjectNode o = Json.object();
        ArrayNode t = o.putArray("tokens");
        d.modifierTokens().forEach(t::add);
        o.put("mode", d.trainMode().id);
        o.put("storage", d.storage());
        o.put("weights", d.weights().size());
        o.put("parameters", d.storedElements());
        long maxRank = 0;
        for (DeltaWeight w : d.weights().values()) if (w.isLowRank()) maxRank = Math.max(maxRank, w.rank());
        if (maxRank > 0) o.put("maxRank", maxRank);
        o.put("baseModel", d.info().baseModelName());
        o.put("baseModelSha256", d.info().baseModelSha256());
        try {
            JsonNode tr = Json.MAPPER.readTree(d.info().training());
            if (tr.has("completed-steps")) o.put("steps", tr.get("completed-steps").asInt());
            if (tr.has("instance-prompt") && !tr.get("instance-prompt").isNull()) o.put("prompt", tr.get("instance-prompt").asText());
        } catch (IOException e) {
            // training settings are informational
        }
        if (!d.info().notes().isEmpty()) o.put("notes", d.info().notes());
        return o;
    }

    /**
     * Saves a delta under a new name.
     *
     * @param origin where it came from ({@code {"origin": "upload", "format": "adobe", …}})
     */
    public synchronized ObjectNode add(String wantedName, ConceptDelta d, ObjectNode origin) throws IOException {
        String name = uniqueName(wantedName);
        Cd4jDeltaFile.write(file0(name), d, false);
        writeSidecar(name, d, origin);
        return describe(name);
    }

    /** Copies a trained delta file in (the job keeps its own copy). */
    public synchronized ObjectNode addFile(String wantedName, Path deltaFile, ObjectNode origin) throws IOException {
        ConceptDelta d = Cd4jDeltaFile.read(deltaFile);
        String name = uniqueName(wantedName);
        Path tmp = workdir.deltas().resolve("." + name + ".partial");
        Files.copy(deltaFile, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, file0(name), StandardCopyOption.ATOMIC_MOVE);
        writeSidecar(name, d, origin);
        return describe(name);
    }

    private void writeSidecar(String name, ConceptDelta d, ObjectNode origin) throws IOException {
        ObjectNode o = summary(d);
        o.setAll(origin);
        o.put("created", Instant.now().toString());
        Json.write(sidecar(name), o);
    }

    /** Renames a delta (409 when the new name is taken). */
    public synchronized ObjectNode rename(String name, String newName) throws IOException {
        Path from = file(name);
        checkName(newName);
        if (newName.equals(name)) return describe(name);
        Path to = workdir.child(workdir.deltas(), newName + Cd4jDeltaFile.SUFFIX, "delta");
        if (Files.exists(to)) throw ApiException.conflict("a delta named '" + newName + "' exists already");
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        if (Files.exists(sidecar(name))) Files.move(sidecar(name), sidecar(newName), StandardCopyOption.REPLACE_EXISTING);
        return describe(newName);
    }

    public synchronized void delete(String name) throws IOException {
        Path f = file(name);
        Files.delete(f);
        Files.deleteIfExists(sidecar(name));
    }
}
