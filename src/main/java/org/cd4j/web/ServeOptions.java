package org.cd4j.web;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@code cd4j serve} runs.
 *
 * @param host    the address to bind; anything but loopback requires a token
 * @param port    the port (0: any free one)
 * @param models  base model folders (diffusers layout)
 * @param workdir where jobs, datasets, deltas and pictures are kept
 * @param token   the access token, or null: generated when the host is not loopback, none otherwise
 * @param collections local picture collections for offline retrieval of class pictures
 */
public record ServeOptions(String host, int port, List<Path> models, Path workdir, String token, List<Path> collections) {
    public ServeOptions {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("--host must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
        if (workdir == null) throw new IllegalArgumentException("--workdir is required");
        models = List.copyOf(models);
        collections = List.copyOf(collections);
        if (token != null && (token.length() < 8 || !token.matches("[A-Za-z0-9_.~-]+"))) {
            throw new IllegalArgumentException("--token must be at least 8 characters of letters, digits, '_', '.', '~' or '-'");
        }
    }

    /** Options without picture collections. */
    public ServeOptions(String host, int port, List<Path> models, Path workdir, String token) {
        this(host, port, models, workdir, token, List.of());
    }

    /** The token the server will require: the given one, a new random one off loopback, or null. */
    public String effectiveToken() {
        if (token != null) return token;
        return Guard.isLoopback(host) ? null : Workdir.randomHex(24);
    }
}
