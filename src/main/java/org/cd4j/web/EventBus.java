package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.sse.SseClient;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Server-sent events to every open page ({@code GET /api/events}): job changes, log lines and new
 * pictures. Events are sent from one dispatcher thread, so a job never waits on a slow or dead
 * browser; a comment every 15 s finds connections that went away.
 */
public final class EventBus implements AutoCloseable {
    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final ExecutorService out = Executors.newSingleThreadExecutor(r -> daemon(r, "cd4j-events"));
    private final ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "cd4j-events-beat"));

    EventBus() {
        beat.scheduleAtFixedRate(() -> out.execute(() -> {
            for (SseClient c : clients) {
                try {
                    c.sendComment("keep-alive");
                } catch (RuntimeException e) {
                    clients.remove(c);
                }
                if (c.terminated()) clients.remove(c);
            }
        }), 15, 15, TimeUnit.SECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Keeps a new connection open and sends it a greeting, so the page knows it is live. */
    void add(SseClient c) {
        c.keepAlive();
        c.onClose(() -> clients.remove(c));
        clients.add(c);
        out.execute(() -> send(c, "hello", "{}"));
    }

    /** Sends an event to every open page. */
    public void publish(String event, JsonNode data) {
        String text = data.toString();
        out.execute(() -> {
            for (SseClient c : clients) send(c, event, text);
        });
    }

    private void send(SseClient c, String event, String data) {
        try {
            if (c.terminated()) {
                clients.remove(c);
                return;
            }
            c.sendEvent(event, data);
        } catch (RuntimeException e) {
            clients.remove(c);
        }
    }

    /** How many pages are connected. */
    public int connections() {
        return clients.size();
    }

    @Override
    public void close() {
        beat.shutdownNow();
        out.execute(() -> {
            for (SseClient c : clients) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    // already gone
                }
            }
            clients.clear();
        });
        out.shutdown();
        try {
            out.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
