package org.cd4j.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.delta.DeltaFiles;
import org.cd4j.concept.delta.LoadedDelta;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Imports an uploaded delta in any format cd4j reads (cd4j, adobe {@code delta.bin}, diffusers
 * weights with their {@code <new1>.bin}/{@code .safetensors} token files, CompVis {@code .ckpt}).
 * The files go into a fresh server-named staging folder: the main file under a fixed name, token
 * files under their own name only when it is a plain token name (the format needs it). The
 * content decides the format; the staging folder is deleted afterwards whatever happens.
 */
public final class DeltaUpload {
    /** Largest delta file accepted (an SD-2 crossattn delta is ~400 MB in fp32). */
    public static final long MAX_BYTES = 1024L * 1024 * 1024;
    /** Most files in one delta upload (a weights file and its token files). */
    public static final int MAX_FILES = 8;
    /** A diffusers token file: {@code <new1>.bin}, {@code <new1>.safetensors}, {@code learned_embeds.bin} … */
    private static final String DIFFUSERS_WEIGHTS = "pytorch_custom_diffusion_weights";
    private static final Pattern TOKEN_FILE = Pattern.compile("(<[A-Za-z0-9_+-]{1,40}>|learned_embeds)\\.(bin|safetensors|pt)");

    private DeltaUpload() {}

    /** One uploaded file. */
    public record Part(String clientName, long size, InputStream content) {}

    /** Reads the upload and adds it to the store under {@code name} (or a name from the file). */
    public static ObjectNode importInto(DeltaStore store, Workdir wd, List<Part> parts, String name) throws IOException {
        if (parts.isEmpty()) throw ApiException.bad("no file was uploaded (send the delta as multipart field 'files')");
        if (parts.size() > MAX_FILES) throw new ApiException(413, "at most " + MAX_FILES + " files per delta");
        if (name != null && !name.isBlank()) DeltaStore.checkName(name.strip());
        Part main = null;
        List<Part> tokens = new ArrayList<>();
        List<Part> others = new ArrayList<>();
        for (Part p : parts) {
            String n = p.clientName() == null ? "" : baseName(p.clientName());
            if (parts.size() > 1 && TOKEN_FILE.matcher(n).matches()) tokens.add(p);
            else others.add(p);
        }
        // a diffusers output folder holds the weights twice (.bin and .safetensors): read the
        // safetensors one, as diffusers does
        if (others.size() == 2 && others.stream().allMatch(p -> baseName(p.clientName()).startsWith(DIFFUSERS_WEIGHTS + "."))) {
            others.removeIf(p -> !baseName(p.clientName()).equals(DIFFUSERS_WEIGHTS + ".safetensors"));
        }
        if (others.size() > 1) {
            throw ApiException.bad("several delta files were uploaded ('" + Workdir.shorten(others.get(0).clientName()) + "', '"
                    + Workdir.shorten(others.get(1).clientName()) + "'); upload one delta, plus its token files named like <new1>.bin");
        }
        if (!others.isEmpty()) main = others.get(0);
        if (main == null) throw ApiException.bad("only token files were uploaded; add the weights file (e.g. pytorch_custom_diffusion_weights.bin)");
        Path stage = wd.tmp().resolve("delta-" + Workdir.randomHex(8));
        Files.createDirectories(stage);
        try {
            Path mainFile = stage.resolve("upload." + extension(main.clientName()));
            copy(main, mainFile);
            for (Part t : tokens) copy(t, stage.resolve(baseName(t.clientName())));
            LoadedDelta d;
            try {
                d = DeltaFiles.load(mainFile);
            } catch (IOException | IllegalArgumentException e) {
                String m = e.getMessage() == null ? "unreadable" : e.getMessage().replace(mainFile.toString(), "'" + Workdir.shorten(main.clientName()) + "'")
                        .replace(stage.toString(), "upload");
                throw ApiException.bad(m);
            }
            ObjectNode origin = Json.object();
            origin.put("origin", "upload");
            origin.put("format", d.format().id);
            origin.put("file", Workdir.shorten(baseName(main.clientName())));
            ArrayNode w = origin.putArray("warnings");
            for (String s : d.warnings()) w.add(s.replace(stage.toString(), "upload"));
            String wanted = name != null && !name.isBlank() ? name.strip() : DeltaStore.sanitize(stem(baseName(main.clientName())));
            return store.add(wanted, d.delta(), origin);
        } finally {
            Workdir.deleteTree(stage);
        }
    }

    private static void copy(Part p, Path to) throws IOException {
        if (p.size() > MAX_BYTES) throw new ApiException(413, "'" + Workdir.shorten(p.clientName()) + "' is larger than 1 GB");
        long total = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = p.content(); var out = Files.newOutputStream(to)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                total += r;
                if (total > MAX_BYTES) throw new ApiException(413, "'" + Workdir.shorten(p.clientName()) + "' is larger than 1 GB");
                out.write(buf, 0, r);
            }
        }
        if (total == 0) throw ApiException.bad("'" + Workdir.shorten(p.clientName()) + "' is empty");
    }

    /** The last path segment of a client's file name (browsers may send a full path). */
    static String baseName(String clientName) {
        String s = clientName.replace('\\', '/');
        return s.substring(s.lastIndexOf('/') + 1);
    }

    /** A known extension of the client's name, else {@code bin}; only used to help the reader's messages. */
    private static String extension(String clientName) {
        String n = clientName == null ? "" : clientName.toLowerCase(Locale.ROOT);
        for (String e : new String[]{"safetensors", "ckpt", "pt", "bin"}) if (n.endsWith("." + e)) return e;
        return "bin";
    }

    private static String stem(String n) {
        String s = n;
        for (String e : new String[]{".cd4j.safetensors", ".delta.safetensors", ".safetensors", ".ckpt", ".bin", ".pt"}) {
            if (s.toLowerCase(Locale.ROOT).endsWith(e)) return s.substring(0, s.length() - e.length());
        }
        return s;
    }
}
