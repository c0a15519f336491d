package org.cd4j.cli;

import org.cd4j.concept.retrieve.CaptionRanker;
import org.cd4j.concept.retrieve.HttpSettings;
import org.cd4j.concept.retrieve.ImageCollector;
import org.cd4j.concept.retrieve.KnnOptions;
import org.cd4j.concept.retrieve.KnnService;
import org.cd4j.concept.retrieve.LocalCollection;
import org.cd4j.concept.retrieve.RealPriorWriter;
import org.cd4j.concept.retrieve.Retrieval;
import org.cd4j.concept.retrieve.RetrievalListener;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cd4j retrieve}: real regularisation pictures of a category, written as the real-prior
 * set {@code cd4j train --real-prior} reads — from a clip-retrieval knn service
 * ({@code --service}) or offline from a local captioned collection ranked by the base model's
 * CLIP text features ({@code --from} with {@code --model}).
 */
@Command(name = "retrieve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fetch real pictures of a category as a regularisation set (images/, caption.txt, images.txt, urls.txt)"
                + " for cd4j train --real-prior.",
                "From a clip-retrieval knn service (--service), or offline from a local collection of captioned pictures"
                        + " (--from, ranked by the --model's CLIP text features)."})
public final class RetrieveCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--class-prompt", required = true, paramLabel = "TEXT", description = "The category, e.g. \"cat\": the query, and the caption of pictures that have none.")
    String classPrompt;
    @Option(names = "--num-class-images", paramLabel = "N", defaultValue = "200", description = "Pictures to keep (default: ${DEFAULT-VALUE}).")
    int numClassImages;
    @Option(names = "--outdir", required = true, paramLabel = "DIR", description = "The set folder (give it to cd4j train as --class-data-dir).")
    Path outdir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Exactly one source. */
    static final class Source {
        @Option(names = "--service", paramLabel = "URL", description = "A clip-retrieval back end's knn-service end point, e.g. http://localhost:1234/knn-service.")
        String service;
        @Option(names = "--from", paramLabel = "DIR", description = "A local collection: pictures with caption files beside them (a.jpg + a.txt), or images.txt + caption.txt.")
        Path from;
    }

    @Option(names = "--model", paramLabel = "DIR|FILE|ORG/NAME",
            description = "With --from: the base model whose CLIP text encoder ranks the captions (a folder, a single-file checkpoint or a hub id).")
    String model;
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--indice-name", paramLabel = "NAME", defaultValue = "laion_400m", description = "--service: the index to search (default: ${DEFAULT-VALUE}, the reference's).")
    String indiceName;
    @Option(names = "--modality", paramLabel = "image|text", defaultValue = "image", description = "--service: match the text against image or caption embeddings (default: ${DEFAULT-VALUE}).")
    String modality;
    @Option(names = "--aesthetic-score", paramLabel = "0-9", defaultValue = "9", description = "--service: pull results towards pictures rated this pretty (default: ${DEFAULT-VALUE}).")
    int aestheticScore;
    @Option(names = "--aesthetic-weight", paramLabel = "F", defaultValue = "0.1", description = "--service: how strongly, 0 to 1 (default: ${DEFAULT-VALUE}, the reference's).")
    double aestheticWeight;
    @Option(names = "--no-aesthetic", description = "--service: no aesthetic term at all.")
    boolean noAesthetic;
    @Option(names = "--no-deduplicate", description = "--service: keep near-identical results (the back end drops them by default).")
    boolean noDeduplicate;
    @Option(names = "--no-safety-model", description = "--service: keep results the back end's NSFW classifier flags.")
    boolean noSafetyModel;
    @Option(names = "--no-violence-detector", description = "--service: keep results the back end's violence detector flags.")
    boolean noViolenceDetector;
    @Option(names = "--max-candidates", paramLabel = "N", defaultValue = "10000", description = "--service: most results asked for at once (default: ${DEFAULT-VALUE}, the reference's cap).")
    int maxCandidates;
    @Option(names = "--workers", paramLabel = "N", defaultValue = "8", description = "Downloads at once (default: ${DEFAULT-VALUE}).")
    int workers;
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "Connect, answer and read-pause time-out (default: ${DEFAULT-VALUE}).")
    double timeout;
    @Option(names = "--retries", paramLabel = "N", defaultValue = "2", description = "Further attempts after a time-out or server error (default: ${DEFAULT-VALUE}).")
    int retries;
    @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "26214400", description = "Largest picture file, bytes (default: ${DEFAULT-VALUE} = 25 MiB).")
    long maxBytes;
    @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "40000000", description = "Largest picture, pixels (default: ${DEFAULT-VALUE}).")
    long maxPixels;
    @Option(names = "--overwrite", description = "Replace the set in a folder that is not empty (other files there are kept).")
    boolean overwrite;
    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    /** Flags that only mean something with --service. */
    private static final List<String> SERVICE_ONLY = List.of("--indice-name", "--modality", "--aesthetic-score", "--aesthetic-weight",
            "--no-aesthetic", "--no-deduplicate", "--no-safety-model", "--no-violence-detector", "--max-candidates", "--retries");

    @Override
    public Integer call() throws Exception {
        Retrieval.Target target;
        HttpSettings http;
        try {
            target = new Retrieval.Target(classPrompt, outdir, overwrite, new ImageCollector.Options(numClassImages, workers, maxPixels));
            http = new HttpSettings(Duration.ofMillis(Math.round(timeout * 1000)), retries, Duration.ofSeconds(1), maxBytes);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (Files.exists(outdir) && !Files.isDirectory(outdir)) throw new UsageException("--outdir " + outdir + " is a file, not a folder");
        try (Console console = new Console(numClassImages)) {
            Retrieval.Outcome o = source.service != null ? fromService(target, http, console) : fromCollection(target, console);
            console.close();
            System.err.println(o.summary());
            if (o.written() < numClassImages) {
                System.err.println("warning: only " + o.written() + " of " + numClassImages + " pictures could be retrieved;"
                        + " training uses what the set holds");
            }
            System.out.println(outdir);
            return 0;
        } catch (FileAlreadyExistsException e) {
            throw new UsageException("--outdir " + outdir + " is not empty; pass --overwrite to replace its regularisation set ("
                    + RealPriorWriter.IMAGES_DIR + "/, caption.txt, images.txt, urls.txt; other files are kept)");
        } catch (NotDirectoryException e) {
            throw new UsageException("--outdir " + outdir + " is a file, not a folder");
        }
    }

    private Retrieval.Outcome fromService(Retrieval.Target t, HttpSettings http, Console console) throws IOException, InterruptedException {
        if (model != null) throw new UsageException("--model is used with --from only (the service ranks by itself)");
        KnnService svc;
        try {
            KnnOptions o = new KnnOptions(indiceName, modality.toLowerCase(Locale.ROOT), !noDeduplicate, !noSafetyModel, !noViolenceDetector,
                    noAesthetic ? null : aestheticScore, aestheticWeight, false);
            svc = new KnnService(source.service, o, http);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return Retrieval.fromService(svc, maxCandidates, http, t, console);
    }

    private Retrieval.Outcome fromCollection(Retrieval.Target t, Console console) throws IOException, InterruptedException {
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        for (String f : SERVICE_ONLY) {
            if (pr.hasMatchedOption(f)) throw new UsageException(f + " applies to --service only, not to --from");
        }
        // the model to train is named, not defaulted: ranking real captions needs its own text encoder
        if (model == null) throw new UsageException("--from needs --model: the base model whose CLIP text encoder ranks the captions");
        if (!Files.isDirectory(source.from)) throw new UsageException("--from " + source.from + " is not a folder");
        if (source.from.toAbsolutePath().normalize().equals(outdir.toAbsolutePath().normalize())) {
            throw new UsageException("--from and --outdir are the same folder; write the set elsewhere");
        }
        LocalCollection c = LocalCollection.read(source.from);
        return Retrieval.fromCollection(c, CaptionRanker.load(modelOptions.resolve(model).dir()), maxBytes, t, console);
    }

    /** Retrieval progress on the terminal. */
    private static final class Console implements RetrievalListener, AutoCloseable {
        private final Progress bar = Progress.start("retrieve", System.err);
        private final long start = System.nanoTime();
        private final int target;

        Console(int target) {
            this.target = target;
        }

        @Override
        public void log(String message) {
            System.err.println(message);
        }

        @Override
        public void progress(int accepted, int wanted, int tried, int failed) {
            bar.extra("fetched " + tried + ", failed " + failed);
            bar.onStep(accepted, target, (System.nanoTime() - start) / 1e9);
        }

        private boolean closed;

        @Override
        public void close() {
            if (!closed) bar.close();
            closed = true;
        }
    }
}
