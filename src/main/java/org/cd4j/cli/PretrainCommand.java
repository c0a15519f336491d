package org.cd4j.cli;

import org.cd4j.pretrain.FocusConfig;
import org.cd4j.pretrain.ZeroSnrConfig;
import org.cd4j.pretrain.MiniModel;
import org.cd4j.pretrain.PretrainConfig;
import org.cd4j.pretrain.PretrainListener;
import org.cd4j.pretrain.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cd4j pretrain}: makes a mini text-to-image model from the synthetic world (the one cd4j
 * ships was made with the defaults). Running it again on the same output resumes.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Pretrain the mini text-to-image model on the synthetic world (resumable: rerun to continue).")
public final class PretrainCommand implements Callable<Integer> {
    private static final PretrainConfig D = PretrainConfig.defaults(Path.of("."));

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "The model folder to create (or to continue).")
    Path output;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the world, the initial weights and every draw (default: ${DEFAULT-VALUE}).")
    long seed = D.seed();

    @Option(names = "--vae-steps", paramLabel = "N", description = "VAE steps (default: ${DEFAULT-VALUE}).")
    int vaeSteps = D.vaeSteps();

    @Option(names = "--vae-batch-size", paramLabel = "N", description = "Pictures per VAE step (default: ${DEFAULT-VALUE}).")
    int vaeBatch = D.vaeBatch();

    @Option(names = "--vae-crop", paramLabel = "N", description = "Crop side for the VAE's first 7/8 of steps (default: ${DEFAULT-VALUE}).")
    int vaeCrop = D.vaeCrop();

    @Option(names = "--vae-learning-rate", paramLabel = "F", description = "VAE peak learning rate (default: ${DEFAULT-VALUE}).")
    double vaeLr = D.vaeLr();

    @Option(names = "--dataset-size", paramLabel = "N", description = "Pictures encoded for the diffusion stage (default: ${DEFAULT-VALUE}).")
    int datasetSize = D.datasetSize();

    @Option(names = "--max-train-steps", paramLabel = "N", description = "UNet + text encoder steps (default: ${DEFAULT-VALUE}).")
    int steps = D.steps();

    @Option(names = "--train-batch-size", paramLabel = "N", description = "Samples per diffusion step (default: ${DEFAULT-VALUE}).")
    int batch = D.batch();

    @Option(names = "--learning-rate", paramLabel = "F", description = "Diffusion peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = D.lr();

    @Option(names = "--lr-warmup-steps", paramLabel = "N", description = "Warm-up steps of both stages (default: ${DEFAULT-VALUE}).")
    int warmup = D.warmupSteps();

    @Option(names = "--caption-dropout", paramLabel = "F", description = "Share of empty captions (default: ${DEFAULT-VALUE}).")
    double captionDropout = D.captionDropout();

    @Option(names = "--ema-decay", paramLabel = "F", description = "Decay of the weight average that is saved (default: ${DEFAULT-VALUE}).")
    double emaDecay = D.emaDecay();

    @Option(names = "--max-grad-norm", paramLabel = "F", description = "Gradient clipping (default: ${DEFAULT-VALUE}).")
    double maxGradNorm = D.maxGradNorm();

    @Option(names = "--checkpointing-steps", paramLabel = "N", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery = D.checkpointEvery();

    @Option(names = "--restart-steps", paramLabel = "N",
            description = "Diffusion steps of each cosine cycle at half the peak rate that continues the first (default: ${DEFAULT-VALUE}).")
    int restartSteps = D.restartSteps();

    @Option(names = "--restarts", paramLabel = "N",
            description = "How many such cycles follow the first; raise it on a finished --output to train it further, "
                    + "with the same result as a run that asked for them from the start (default: ${DEFAULT-VALUE}).")
    int restarts = D.restarts();

    @Option(names = "--focus-steps", paramLabel = "N",
            description = "Steps of the pattern-focus phase after the cycles; 0 for none. A finished run without one may "
                    + "gain one (default: ${DEFAULT-VALUE}).")
    int focusSteps = D.focus().steps();

    @Option(names = "--focus-learning-rate", paramLabel = "F", description = "Peak learning rate of the focus phase (default: ${DEFAULT-VALUE}).")
    double focusLr = D.focus().lr();

    @Option(names = "--focus-dataset-size", paramLabel = "N",
            description = "Pictures encoded for the focus phase, the diffusion stage's first (default: ${DEFAULT-VALUE}).")
    int focusDatasetSize = D.focus().datasetSize();

    @Option(names = "--focus-pattern-share", paramLabel = "F",
            description = "Chance that a caption which left a pattern out names it in the focus phase (default: ${DEFAULT-VALUE}).")
    double focusPatternShare = D.focus().patternShare();

    @Option(names = "--focus-mid-share", paramLabel = "F",
            description = "Share of the focus phase's timesteps drawn from --focus-mid-timesteps (default: ${DEFAULT-VALUE}).")
    double focusMidShare = D.focus().midShare();

    @Option(names = "--focus-mid-timesteps", paramLabel = "FROM:TO",
            description = "The middle range of timesteps, TO exclusive (default: ${DEFAULT-VALUE}).")
    String focusMid = D.focus().midFrom() + ":" + D.focus().midTo();

    @Option(names = "--zero-snr-steps", paramLabel = "N",
            description = "Steps of the phase after the focus phase that turns the model to zero terminal SNR and "
                    + "v-prediction; 0 for none. A finished run without one may gain one (default: ${DEFAULT-VALUE}).")
    int zeroSnrSteps = D.zeroSnr().steps();

    @Option(names = "--zero-snr-learning-rate", paramLabel = "F", description = "Peak learning rate of the zero-SNR phase (default: ${DEFAULT-VALUE}).")
    double zeroSnrLr = D.zeroSnr().lr();

    @Option(names = "--zero-snr-mid-share", paramLabel = "F",
            description = "Share of the zero-SNR phase's timesteps drawn from --focus-mid-timesteps (default: ${DEFAULT-VALUE}).")
    double zeroSnrMidShare = D.zeroSnr().midShare();

    @Option(names = "--log-every", paramLabel = "N", description = "Steps between progress lines (default: ${DEFAULT-VALUE}).")
    int logEvery = 50;

    @Option(names = "--export-resources", paramLabel = "DIR",
            description = "When finished, write the model as the resources the cd4j jar ships (float16 weights + manifest), "
                    + "e.g. src/main/resources/org/cd4j/mini.")
    Path exportResources;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PretrainConfig cfg;
        try {
            String[] mid = focusMid.split(":", -1);
            int midFrom, midTo;
            try {
                if (mid.length != 2) throw new NumberFormatException();
                midFrom = Integer.parseInt(mid[0].trim());
                midTo = Integer.parseInt(mid[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--focus-mid-timesteps must be FROM:TO (two whole numbers), got \"" + focusMid + "\"");
            }
            FocusConfig focus = new FocusConfig(focusSteps, focusLr, focusDatasetSize, focusPatternShare, focusMidShare, midFrom, midTo);
            cfg = new PretrainConfig(output, seed, vaeSteps, vaeBatch, vaeCrop, vaeLr, datasetSize, steps, batch, lr, warmup,
                    captionDropout, emaDecay, maxGradNorm, checkpointEvery, restartSteps, restarts, focus,
                    new ZeroSnrConfig(zeroSnrSteps, zeroSnrLr, zeroSnrMidShare));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path model = new Pretrainer(cfg, new Lines(Math.max(1, logEvery))).run();
        if (exportResources != null) {
            MiniModel.export(model, exportResources);
            System.err.println("resources written to " + exportResources);
        }
        return 0;
    }

    /** One line per {@code every} steps with the mean loss since the last line. */
    private static final class Lines implements PretrainListener {
        private final int every;
        private double sum;
        private int count;

        Lines(int every) {
            this.every = every;
        }

        @Override
        public void step(String stage, int done, int total, double loss, double secondsPerStep) {
            sum += loss;
            count++;
            if (done % every == 0 || done == total) {
                System.err.printf(Locale.ROOT, "%s: step %d/%d, loss %.5f, %.3f s/step, ETA %.0f min%n", stage, done, total,
                        sum / count, secondsPerStep, (total - done) * secondsPerStep / 60);
                sum = 0;
                count = 0;
            }
        }

        @Override
        public void message(String text) {
            System.err.println(text);
        }
    }
}
