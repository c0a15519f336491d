package org.cd4j.concept;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code metrics.jsonl}: one JSON object per optimiser step, flushed as it is written so a
 * crash loses nothing and other tools (the web app) can follow it. On resume the lines after
 * the checkpoint's step are dropped, so the file reads as one uninterrupted run.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /** Opens {@code file} for appending, first keeping only lines whose step is at most {@code keepUpTo}. */
    public static MetricsLog open(Path file, long keepUpTo) throws IOException {
        return open(file, n -> n.path("step").asLong(Long.MAX_VALUE) <= keepUpTo);
    }

    /**
     * Opens {@code file} for appending, first keeping only the lines {@code keep} accepts (for
     * logs whose stages count their steps separately).
     */
    public static MetricsLog open(Path file, Predicate<JsonNode> keep) throws IOException {
        if (Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    if (keep.test(JSON.readTree(line))) kept.add(line);
                } catch (IOException e) {
                    // a line cut short by a killed run: drop it
                }
            }
            Files.write(file, kept, StandardCharsets.UTF_8);
        }
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    }

    /** A new JSON object to fill and {@link #write}. */
    public ObjectNode record() {
        return JSON.createObjectNode();
    }

    public synchronized void write(ObjectNode o) throws IOException {
        out.write(JSON.writeValueAsString(o));
        out.newLine();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
