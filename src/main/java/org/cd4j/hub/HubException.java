package org.cd4j.hub;

import java.io.IOException;

/**
 * A download from the hub that could not be done, with a message for the person who asked for
 * it (what failed, which repository or file, and what to do about it).
 */
public final class HubException extends IOException {
    /** What went wrong; callers decide from it whether the user's input or the world is at fault. */
    public enum Kind {
        /** No such repository, or a private/gated one the token does not open (the hub does not say which). */
        REPO_NOT_FOUND,
        /** The repository exists but not the asked {@code --revision}. */
        REVISION_NOT_FOUND,
        /** The repository has no such file at that commit. */
        FILE_NOT_FOUND,
        /** A gated repository whose conditions the token's owner has not accepted. */
        GATED,
        /** The token was refused or lacks a permission. */
        UNAUTHORIZED,
        /** The hub answered with a server error or asked us to slow down. */
        SERVER,
        /** The hub could not be reached at all. */
        NETWORK,
        /** Offline mode is on and the cache does not hold what is needed. */
        NOT_CACHED,
        /** A download ended early and could not be resumed. */
        TRUNCATED,
        /** A downloaded file does not match the hash the hub announced. */
        HASH_MISMATCH,
        /** The server's answer is not what the hub protocol promises. */
        PROTOCOL
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
