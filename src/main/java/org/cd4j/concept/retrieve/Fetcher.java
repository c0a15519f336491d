package org.cd4j.concept.retrieve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/** Gets a candidate's bytes: over HTTP for a web address, from disk for a local collection. */
public interface Fetcher {
    /**
     * The candidate's file content.
     *
     * @throws FetchFailure for the expected failures (broken link, time-out, too large), counted
     *     in the run's summary
     */
    byte[] fetch(Candidate c) throws IOException, InterruptedException;

    /** HTTP GET with the settings' time-outs, retries and size limit; any status but 2xx fails. */
    static Fetcher web(HttpSettings settings) {
        Http http = new Http(settings);
        return c -> {
            Http.Answer a = http.send(http.request(Http.httpUri(c.url())).GET().build(), settings.maxBytes());
            if (!a.ok()) throw new FetchFailure("HTTP " + a.status(), Http.transientStatus(a.status()), null);
            if (a.body().length == 0) throw new FetchFailure("empty", false, null);
            return a.body();
        };
    }

    /** Reads {@link Candidate#file()}, refusing files over {@code maxBytes}. */
    static Fetcher files(long maxBytes) {
        return c -> {
            if (c.file() == null) throw new FetchFailure("no local file", false, c.url());
            try (InputStream in = Files.newInputStream(c.file())) {
                byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                if (b.length > maxBytes) throw new FetchFailure("larger than " + maxBytes + " bytes", false, c.file().toString());
                if (b.length == 0) throw new FetchFailure("empty", false, c.file().toString());
                return b;
            } catch (NoSuchFileException e) {
                throw new FetchFailure("missing file", false, c.file().toString());
            }
        };
    }
}
