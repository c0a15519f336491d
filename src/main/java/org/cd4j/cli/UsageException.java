package org.cd4j.cli;

/** Wrong command-line input (a bad flag value or combination): exit code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
