package org.cd4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cd4j} command line: one class per subcommand. Exit codes: 0 success, 1 failure,
 * 2 usage error; a stack trace is printed only with {@code --verbose}.
 */
@Command(name = "cd4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Custom Diffusion for Java: teach Stable Diffusion new concepts from a few images, and generate with them.",
        subcommands = {
                GenerateCommand.class,
                ConvertCommand.class,
                TrainCommand.class,
                TokenizeCommand.class,
                BenchCommand.class,
                CompressCommand.class,
                MergeCommand.class,
                RetrieveCommand.class,
                ServeCommand.class,
                PretrainCommand.class,
                DemoCommand.class,
                QualityCommand.class,
                JudgeTrainCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The environment the subcommands read (HF_HOME, HF_TOKEN …): the process's, or a test's own. */
    private final java.util.Map<String, String> env;

    private Main(java.util.Map<String, String> env) {
        this.env = java.util.Map.copyOf(env);
    }

    java.util.Map<String, String> env() {
        return env;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int run(String... args) {
        return run(null, args);
    }

    /** Like {@link #run(String...)}, with error messages written to {@code err} (null: stderr). */
    public static int run(java.io.PrintWriter err, String... args) {
        return run(System.getenv(), err, args);
    }

    /** Like {@link #run(java.io.PrintWriter, String...)}, with {@code env} in place of the process environment. */
    public static int run(java.util.Map<String, String> env, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main(env));
        cl.setExecutionExceptionHandler(new Failures());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        if (err != null) cl.setErr(err);
        return cl.execute(args);
    }

    /** Reports the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"cd4j " + (v == null ? "(development build)" : v)};
        }
    }
}
