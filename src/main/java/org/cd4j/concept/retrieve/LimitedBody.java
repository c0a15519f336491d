package org.cd4j.concept.retrieve;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body collected into memory with two guards the JDK's handlers lack: a size limit
 * (the transfer is cancelled the moment it is exceeded, so a huge file never fills memory) and an
 * idle time-out (cancelled when no byte arrives for that long; {@code HttpRequest.timeout} covers
 * only the wait for the headers). Cancelling the subscription makes the client drop the connection.
 */
final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final long maxBytes;
    private final Duration idle;
    private final ScheduledExecutorService timers;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private Flow.Subscription subscription;
    private ScheduledFuture<?> timer;

    LimitedBody(long maxBytes, Duration idle, ScheduledExecutorService timers) {
        this.maxBytes = maxBytes;
        this.idle = idle;
        this.timers = timers;
    }

    /** A body refused from its declared length, before any byte of it is read. */
    static LimitedBody refused(FetchFailure why) {
        LimitedBody b = new LimitedBody(0, Duration.ZERO, null);
        b.result.completeExceptionally(why);
        return b;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (result.isDone()) {
            s.cancel();
            return;
        }
        arm();
        s.request(Long.MAX_VALUE);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
        if (result.isDone()) return;
        for (ByteBuffer b : items) {
            if (buf.size() + (long) b.remaining() > maxBytes) {
                fail(new FetchFailure("larger than " + maxBytes + " bytes", false, null));
                return;
            }
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            buf.write(chunk, 0, chunk.length);
        }
        arm();
    }

    @Override
    public synchronized void onError(Throwable t) {
        disarm();
        result.completeExceptionally(t);
    }

    @Override
    public synchronized void onComplete() {
        disarm();
        result.complete(buf.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }

    /** (Re)starts the idle timer: the body fails if nothing arrives for {@code idle}. */
    private void arm() {
        disarm();
        timer = timers.schedule(() -> {
            synchronized (this) {
                if (!result.isDone()) {
                    fail(new FetchFailure("timed out", true, "no data for " + idle.toMillis() + " ms while reading the body"));
                }
            }
        }, idle.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (timer != null) timer.cancel(false);
        timer = null;
    }

    private void fail(FetchFailure f) {
        disarm();
        result.completeExceptionally(f);
        if (subscription != null) subscription.cancel();
    }
}
