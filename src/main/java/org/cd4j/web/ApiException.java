package org.cd4j.web;

/**
 * A request the server refuses, with the HTTP status and a message for the person who made it.
 * The web server turns it into {@code {"error": message}}; nothing else about the failure (no
 * stack trace, no class name) reaches the client.
 */
public final class ApiException extends RuntimeException {
    private final int status;

    public ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** 400: the request itself is wrong. */
    public static ApiException bad(String message) {
        return new ApiException(400, message);
    }

    /** 404: the thing the request names does not exist. */
    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    /** 409: the request conflicts with the current state (e.g. deleting a running job). */
    public static ApiException conflict(String message) {
        return new ApiException(409, message);
    }
}
