package org.cd4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file is not what it claims to be: truncated, corrupt, hostile, or in a layout cd4j does not
 * read. The message always starts with the file's path and says what was found and what was
 * expected, because it is shown to users as is ("Errors are for people", DESIGN §4).
 */
public class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** {@code problem} reads like "header length 12 exceeds the file size 9, expected ...". */
    public FormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** Same, keeping the low-level cause (a JSON or ZIP parser error) for {@code --verbose}. */
    public FormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
