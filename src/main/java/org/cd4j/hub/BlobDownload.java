package org.cd4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One file's download into {@code blobs/<etag>.incomplete}: resumed with an HTTP {@code Range}
 * from whatever an earlier run or a dropped connection left, retried while it makes progress,
 * given up after {@value #MAX_FAILURES} tries in a row that bring nothing (the partial file stays
 * for the next run), and renamed to its blob name only when its size and hash are right. A bad
 * download is deleted so that it can never be mistaken for the file.
 */
final class BlobDownload {
    static final int MAX_FAILURES = 5;
    private static final int CHUNK = 1 << 16;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    /** Closes the stream of a download that stopped sending: the JDK client has no read timeout of its own. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cd4j-hub-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final HubHttp http;
    private final RepoId repo;
    private final HubClient.FileMetadata meta;
    private final String path;
    private final Path incomplete;
    private final DownloadListener listener;
    private final ContentHash hash;
    private long hashed; // the hash has seen the first `hashed` bytes of the file

    BlobDownload(HubHttp http, RepoId repo, HubClient.FileMetadata meta, String path, Path incomplete, DownloadListener listener) {
        this.http = http;
        this.repo = repo;
        this.meta = meta;
        this.path = path;
        this.incomplete = incomplete;
        this.listener = listener;
        this.hash = new ContentHash(meta.etag(), meta.size());
    }

    void run(Path blob) throws IOException {
        long size = meta.size();
        Files.createDirectories(incomplete.getParent());
        long have = length();
        if (have > size) {
            Files.delete(incomplete); // not a prefix of this file: start over
            have = 0;
        }
        checkSpace(size - have);
        listener.started(path, size, have);
        int failures = 0;
        IOException last = null;
        while (have < size) {
            long before = have;
            try {
                fetchFrom(have);
            } catch (HubException e) {
                if (e.kind() != HubException.Kind.NETWORK) throw e; // the server refused: retrying will not help
                last = e;
            } catch (IOException e) {
                last = e;
            }
            have = length();
            if (have >= size) break;
            failures = have > before ? 1 : failures + 1;
            if (failures > MAX_FAILURES) {
                throw new HubException(HubException.Kind.TRUNCATED, "the download of " + path + " broke off at "
                        + have + " of " + size + " bytes" + (last == null ? "" : " (" + last.getMessage() + ")")
                        + " and could not be resumed; the part is kept in " + incomplete + ": run the command again to resume", last);
            }
            listener.note(String.format(Locale.ROOT, "%s: connection lost at %d of %d bytes; resuming", path, have, size));
            pause(failures);
        }
        verify(have);
        HubCache.moveReplacing(incomplete, blob);
        listener.finished(path);
    }

    /** One GET from {@code start} on; appends what arrives until the stream ends or stalls. */
    private void fetchFrom(long start) throws IOException {
        HttpResponse<InputStream> r = http.getStream(meta.location(), start);
        try (InputStream in = r.body(); FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            int code = r.statusCode();
            long at = start;
            if (code == 416 || code == 200 && start > 0) {
                // The part on disk is unusable (416), or the server ignores Range and sends everything (200).
                at = 0;
                out.truncate(0);
                if (code == 416) return;
            } else if (code == 206) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != start) {
                    throw http.protocol(r.uri(), "a partial answer to 'Range: bytes=" + start + "-' that starts elsewhere");
                }
            } else if (code != 200) {
                throw http.failure(code, r.headers(), r.uri(), new HubHttp.Target(repo, meta.commit(), path));
            }
            if (hashed != at) rehash(at);
            out.position(at);
            stream(in, out, at);
        }
    }

    private void stream(InputStream in, FileChannel out, long at) throws IOException {
        AtomicLong lastData = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long limit = http.settings().timeout().toNanos();
        long period = Math.max(TimeUnit.NANOSECONDS.toMillis(limit) / 4, 20);
        ScheduledFuture<?> watch = WATCHDOG.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastData.get() > limit && stalled.compareAndSet(false, true)) {
                try {
                    in.close(); // makes the blocked read return
                } catch (IOException ignored) {
                    // closing is all we can do
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        byte[] buf = new byte[CHUNK];
        long done = at;
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                lastData.set(System.nanoTime());
                if (done + n > meta.size()) {
                    out.truncate(0);
                    throw http.protocol(meta.location(), "more than the " + meta.size() + " bytes announced for " + path);
                }
                out.write(ByteBuffer.wrap(buf, 0, n));
                hash.update(buf, 0, n);
                done += n;
                hashed = done;
                listener.progress(path, done, meta.size());
            }
        } catch (IOException e) {
            if (stalled.get()) throw new IOException("no data for " + http.settings().timeout().toSeconds() + " s", e);
            throw e;
        } finally {
            watch.cancel(false);
        }
        if (stalled.get()) throw new IOException("no data for " + http.settings().timeout().toSeconds() + " s");
    }

    /** Feeds the hash the first {@code upTo} bytes already on disk (a resumed download). */
    private void rehash(long upTo) throws IOException {
        hash.reset();
        hashed = 0;
        byte[] buf = new byte[CHUNK];
        try (InputStream in = Files.newInputStream(incomplete)) {
            while (hashed < upTo) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, upTo - hashed));
                if (n < 0) throw new IOException(incomplete + " shrank while being resumed");
                hash.update(buf, 0, n);
                hashed += n;
            }
        }
    }

    private void verify(long have) throws IOException {
        if (!hash.checkable()) return; // a mirror's own ETag: the size was checked
        if (hashed != have) rehash(have);
        String actual = hash.finish();
        if (!actual.equals(hash.expected())) {
            Files.deleteIfExists(incomplete);
            throw new HubException(HubException.Kind.HASH_MISMATCH, "the download of " + path + " is corrupt: its "
                    + hash.kind() + " is " + actual + " but the hub announced " + hash.expected()
                    + "; the bad file was deleted, run the command again to download it anew");
        }
    }

    private long length() throws IOException {
        return Files.exists(incomplete) ? Files.size(incomplete) : 0;
    }

    private void checkSpace(long needed) throws IOException {
        long free = Files.getFileStore(incomplete.getParent()).getUsableSpace();
        if (free > 0 && free < needed) {
            throw new IOException(String.format(Locale.ROOT, "not enough disk space for %s: %.1f MB needed, %.1f MB free in %s",
                    path, needed / 1e6, free / 1e6, incomplete.getParent()));
        }
    }

    private void pause(int failures) throws InterruptedIOException {
        try {
            Thread.sleep(http.settings().retryPause().toMillis() * failures);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while resuming " + path);
        }
    }
}
