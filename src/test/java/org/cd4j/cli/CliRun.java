package org.cd4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One run of the command line in-process, with its exit code and what it printed. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        return with(System.getenv(), args);
    }

    /** A run that sees {@code env} as its environment (HF_HOME, HF_ENDPOINT, HF_HUB_OFFLINE …). */
    static CliRun with(java.util.Map<String, String> env, String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(env, null, args);
            return new CliRun(code, bo.toString(StandardCharsets.UTF_8), be.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }
}
