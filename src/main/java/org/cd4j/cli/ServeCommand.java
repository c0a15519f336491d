package org.cd4j.cli;

import org.cd4j.web.ServeOptions;
import org.cd4j.web.WebServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code cd4j serve}: the web app (train, watch, generate, manage deltas in a browser). Binds to
 * 127.0.0.1 unless told otherwise; on any other address every API call needs the access token
 * printed at start (or given with {@code --token}). Ctrl-C stops running jobs at a checkpoint;
 * they continue at the next start on the same workdir.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the web app: train concepts, watch jobs, generate with deltas, from a browser.")
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "ADDR", description = "Address to listen on (default: 127.0.0.1). Any other address requires the access token.")
    String host = "127.0.0.1";
    @Option(names = "--port", paramLabel = "N", description = "Port (default: 7860; 0 picks a free one).")
    int port = 7860;
    @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
            description = "A base model: a diffusers folder or a hub id (downloaded before the server starts); repeat for several.")
    List<String> models = new ArrayList<>();
    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;
    @Option(names = "--workdir", paramLabel = "DIR", description = "Where jobs, image sets, deltas and pictures are kept (default: ./cd4j-work).")
    Path workdir = Path.of("cd4j-work");
    @Option(names = "--collection", paramLabel = "DIR", description = "A local collection of captioned pictures to retrieve class pictures from; repeat for several.")
    List<Path> collections = new ArrayList<>();
    @Option(names = "--token", paramLabel = "T", description = "Access token to require (default: a random one when --host is not loopback).")
    String token;
    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        // Jetty's start-up chatter is not for the user; warnings still show.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        try {
            new ServeOptions(host, port, List.of(), workdir, token); // the flags are checked before any download
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<Path> dirs = new ArrayList<>();
        for (String m : models) dirs.add(modelOptions.resolve(m).dir());
        ServeOptions o = new ServeOptions(host, port, dirs, workdir, token, collections);
        WebServer server;
        try {
            server = WebServer.start(o);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("cd4j serve: stopping (running jobs stop at a checkpoint and continue at the next start)");
            server.close();
            stopped.countDown();
        }, "cd4j-serve-stop"));
        if (models.isEmpty()) System.err.println("cd4j serve: no --model given; training and generation need one");
        System.out.println("cd4j serve: open " + server.url());
        if (server.token() != null) System.out.println("cd4j serve: API calls need the header X-Cd4j-Token: " + server.token());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
