package org.cd4j.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.cd4j.hub.DownloadListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Hub downloads on the terminal: a live bar per file when stderr is a console, otherwise one line
 * when a file starts and one when it is done, so that logs stay readable.
 */
final class DownloadProgress implements DownloadListener, AutoCloseable {
    private final PrintStream log;
    private ProgressBar bar;

    DownloadProgress(PrintStream log) {
        this.log = log;
    }

    @Override
    public void started(String path, long size, long resumed) {
        close();
        String what = String.format(Locale.ROOT, "downloading %s (%s)%s", path, megabytes(size),
                resumed > 0 ? ", resuming at " + megabytes(resumed) : "");
        if (System.console() == null) {
            log.println(what);
            return;
        }
        bar = new ProgressBarBuilder().setTaskName(shortName(path)).setInitialMax(size).startsFrom(resumed, java.time.Duration.ZERO)
                .setUnit(" MB", 1_000_000).setStyle(ProgressBarStyle.ASCII).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(log)).build();
    }

    @Override
    public void progress(String path, long done, long size) {
        if (bar != null) bar.stepTo(done);
    }

    @Override
    public void finished(String path) {
        if (bar != null) {
            close();
        } else {
            log.println("downloaded " + path);
        }
    }

    @Override
    public void note(String message) {
        log.println(message);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
        bar = null;
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** The bar's label: the file's folder and name, shortened to fit beside the bar. */
    private static String shortName(String path) {
        return path.length() <= 40 ? path : "…" + path.substring(path.length() - 39);
    }
}
