package org.cd4j.cli;

import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/**
 * Turns an exception from a subcommand into one readable line on stderr: exit 2 when the user's
 * input was wrong ({@link UsageException}), 1 otherwise. The stack trace is printed only when the
 * subcommand was given {@code --verbose}.
 */
final class Failures implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        boolean verbose = isVerbose(parsed);
        err.println("cd4j " + cl.getCommandName() + ": " + message(ex));
        if (verbose) {
            ex.printStackTrace(err);
        } else {
            err.println("(run with --verbose for details)");
        }
        err.flush();
        return ex instanceof UsageException ? 2 : 1;
    }

    private static boolean isVerbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    /** The most useful one-line description of a failure. */
    static String message(Throwable ex) {
        if (ex instanceof NoSuchFileException || ex instanceof FileNotFoundException) {
            return "file not found: " + ex.getMessage();
        }
        if (ex instanceof FileAlreadyExistsException) {
            return ex.getMessage() + " already exists (use --overwrite to replace it)";
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory: " + ex.getMessage() + " (try fewer or smaller images)";
        }
        String m = ex.getMessage();
        if (m == null || m.isBlank()) m = ex.getClass().getSimpleName();
        // libtorch errors carry a C++ backtrace after the first line: keep the first line only
        if (ex.getClass().getName().startsWith("java.lang.RuntimeException") && m.contains("Exception raised from")) {
            m = m.substring(0, m.indexOf("Exception raised from")).trim();
        }
        return m;
    }
}
