package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The jobs under {@code workdir/jobs/}: one folder per job with {@code job.json} (its state),
 * {@code log.txt} and whatever the job writes (a training run's {@code output/}). Held in memory
 * and written through on every change.
 */
public final class JobStore {
    static final String FILE = "job.json";
    static final String LOG = "log.txt";

    private final Workdir workdir;
    /** Ids sort by creation time, so this map is in queue order. */
    private final Map<String, Job> jobs = new ConcurrentSkipListMap<>();

    JobStore(Workdir workdir) {
        this.workdir = workdir;
    }

    /** Reads every job folder; unreadable ones are reported and skipped, never deleted. */
    void load() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(workdir.jobs())) {
            for (Path d : ds) {
                if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                try {
                    JsonNode n = Json.read(d.resolve(FILE));
                    if (n == null) continue;
                    Job j = Job.fromJson(n);
                    if (j.id().equals(d.getFileName().toString())) jobs.put(j.id(), j);
                } catch (IOException | RuntimeException e) {
                    System.err.println("cd4j serve: skipping unreadable job " + d + ": " + e.getMessage());
                }
            }
        }
    }

    void add(Job j) throws IOException {
        Files.createDirectories(dir(j.id()));
        jobs.put(j.id(), j);
        save(j);
    }

    void save(Job j) throws IOException {
        Json.write(dir(j.id()).resolve(FILE), j.toJson());
    }

    /** The job, or 404. */
    public Job get(String id) {
        Workdir.checkName(id, "job");
        Job j = jobs.get(id);
        if (j == null) throw ApiException.notFound("no job '" + id + "'");
        return j;
    }

    /** All jobs, oldest first. */
    public List<Job> all() {
        return new ArrayList<>(jobs.values());
    }

    /** The job's folder. */
    public Path dir(String id) {
        return workdir.child(workdir.jobs(), id, "job");
    }

    void remove(String id) throws IOException {
        Path d = dir(id);
        jobs.remove(id);
        Workdir.deleteTree(d);
    }

    /** The last {@code max} lines of the job's log. */
    public List<String> logTail(String id, int max) throws IOException {
        Path f = dir(get(id).id()).resolve(LOG);
        if (!Files.isRegularFile(f)) return List.of();
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        return lines.size() <= max ? lines : lines.subList(lines.size() - max, lines.size());
    }
}
