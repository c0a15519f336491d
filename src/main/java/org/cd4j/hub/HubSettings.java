package org.cd4j.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where and how the hub client works, read from the same environment variables as Python's
 * {@code huggingface_hub}, so both share one cache and one login. Built from a map (not from
 * {@link System#getenv()} directly) so that tests and embedders can inject their own.
 *
 * @param endpoint   the hub's address ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
 * @param cacheDir   the hub cache ({@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 *                   {@code ~/.cache/huggingface/hub})
 * @param token      the access token ({@code HF_TOKEN}, else the file {@code huggingface-cli login}
 *                   wrote), or null
 * @param offline    {@code HF_HUB_OFFLINE}: use cached files only, never ask the network
 * @param timeout    how long to wait for a connection, for response headers and between two
 *                   pieces of a download ({@code HF_HUB_DOWNLOAD_TIMEOUT}, default 10 s)
 * @param retryPause the pause before resuming a download that broke off (grows with each try)
 */
public record HubSettings(URI endpoint, Path cacheDir, String token, boolean offline, Duration timeout, Duration retryPause) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    public HubSettings {
        String s = endpoint == null ? "" : endpoint.toString();
        if (endpoint == null || endpoint.getHost() == null || !(s.startsWith("http://") || s.startsWith("https://"))) {
            throw new IllegalArgumentException("HF_ENDPOINT must be an http(s) address such as " + DEFAULT_ENDPOINT + ", got '" + s + "'");
        }
        if (s.endsWith("/")) endpoint = URI.create(s.replaceAll("/+$", ""));
        if (cacheDir == null) throw new IllegalArgumentException("the hub cache folder is required");
        if (token != null && token.isBlank()) token = null;
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("the hub timeout must be positive");
        if (retryPause == null || retryPause.isNegative()) throw new IllegalArgumentException("the retry pause must not be negative");
    }

    /** Settings from environment variables ({@code System.getenv()} in production). */
    public static HubSettings fromEnvironment(Map<String, String> env) {
        Path home = Path.of(nonEmpty(env.get("HOME"), System.getProperty("user.home")));
        Path cacheHome = env.containsKey("XDG_CACHE_HOME") ? path(env.get("XDG_CACHE_HOME"), home) : home.resolve(".cache");
        Path hfHome = env.containsKey("HF_HOME") ? path(env.get("HF_HOME"), home) : cacheHome.resolve("huggingface");
        String cache = nonEmpty(env.get("HF_HUB_CACHE"), env.get("HUGGINGFACE_HUB_CACHE"));
        Path cacheDir = cache != null ? path(cache, home) : hfHome.resolve("hub");
        String token = nonEmpty(env.get("HF_TOKEN"), env.get("HUGGING_FACE_HUB_TOKEN"));
        if (token == null) {
            Path file = env.containsKey("HF_TOKEN_PATH") ? path(env.get("HF_TOKEN_PATH"), home) : hfHome.resolve("token");
            token = readToken(file);
        }
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE"));
        Duration timeout = Duration.ofSeconds(10);
        String t = env.get("HF_HUB_DOWNLOAD_TIMEOUT");
        if (t != null && !t.isBlank()) {
            try {
                timeout = Duration.ofMillis(Math.round(Double.parseDouble(t.trim()) * 1000));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds, got '" + t + "'");
            }
        }
        String endpoint = nonEmpty(env.get("HF_ENDPOINT"), DEFAULT_ENDPOINT);
        URI uri;
        try {
            uri = URI.create(endpoint.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("HF_ENDPOINT must be an http(s) address such as " + DEFAULT_ENDPOINT + ", got '" + endpoint + "'");
        }
        return new HubSettings(uri, cacheDir, token, offline, timeout, Duration.ofSeconds(1));
    }

    /** The same settings with another cache folder, offline switch or retry pause. */
    public HubSettings withOffline(boolean off) {
        return new HubSettings(endpoint, cacheDir, token, off, timeout, retryPause);
    }

    public HubSettings withTiming(Duration newTimeout, Duration newRetryPause) {
        return new HubSettings(endpoint, cacheDir, token, offline, newTimeout, newRetryPause);
    }

    private static boolean isTrue(String v) {
        return v != null && TRUE.contains(v.trim().toUpperCase(Locale.ROOT));
    }

    private static String nonEmpty(String a, String b) {
        if (a != null && !a.isBlank()) return a;
        return b != null && !b.isBlank() ? b : null;
    }

    /** A path from the environment, with {@code ~} expanded as Python's expanduser does. */
    private static Path path(String v, Path home) {
        if (v.equals("~")) return home;
        if (v.startsWith("~/")) return home.resolve(v.substring(2));
        return Path.of(v);
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? nonEmpty(Files.readString(file).trim(), null) : null;
        } catch (IOException e) {
            return null; // an unreadable token file is the same as none: public repos still work
        }
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + ", timeout=" + timeout + "]";
    }
}
