package org.cd4j.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.cd4j.pipeline.ProgressListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on the terminal: a live bar when stderr is a console, otherwise one plain line per
 * tenth of the work, so logs stay readable.
 */
final class Progress implements ProgressListener, AutoCloseable {
    private final String task;
    private final PrintStream log;
    private ProgressBar bar;
    private int lastLogged = -1;
    private String extra = "";

    private Progress(String task, PrintStream log) {
        this.task = task;
        this.log = log;
    }

    static Progress start(String task, PrintStream log) {
        return new Progress(task, log);
    }

    /** Text shown after the counts (e.g. the loss and learning rate); set before {@link #onStep}. */
    void extra(String text) {
        this.extra = text == null ? "" : text;
    }

    @Override
    public void onStep(int done, int total, double seconds) {
        if (System.console() != null) {
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                        .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(log)).build();
            }
            bar.maxHint(total);
            bar.setExtraMessage(extra);
            bar.stepTo(done);
            return;
        }
        int tenth = total == 0 ? 10 : done * 10 / total;
        if (tenth != lastLogged || done == total) {
            lastLogged = tenth;
            double rate = seconds > 0 ? done / seconds : 0.0;
            double eta = rate > 0 ? (total - done) / rate : 0.0;
            log.printf(Locale.ROOT, "%s: step %d/%d, %.1f s, %.2f it/s, ETA %.0f s%s%n", task, done, total, seconds,
                    rate, eta, extra.isEmpty() ? "" : ", " + extra);
        }
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
