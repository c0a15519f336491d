package org.cd4j.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.cd4j.hub.DownloadListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Hub downloads on the terminal: a live bar per file when stderr is a console, otherwise a line
 * per file done (and one when a large file starts), so that logs stay readable.
 */
final class DownloadProgress implements DownloadListener, AutoCloseable {
    /** Files at least this large get a line when they start, in a log. */
    private static final long LARGE = 10_000_000;
    private final PrintStream log;
    private final boolean live;
    private final java.util.Map<String, Long> sizes = new java.util.HashMap<>();
    private ProgressBar bar;

    /** Live bars when this process has a console. */
    DownloadProgress(PrintStream log) {
        this(log, System.console() != null);
    }

    /** @param live bars that redraw in place (a terminal), or lines (a log) */
    DownloadProgress(PrintStream log, boolean live) {
        this.log = log;
        this.live = live;
    }

    @Override
    public void started(String path, long size, long resumed) {
        close();
        if (!live) {
            // A log gets a line when a large file starts (it may take minutes) and one when each file is done.
            if (size >= LARGE || resumed > 0) {
                log.println(String.format(Locale.ROOT, "downloading %s (%s)%s", path, megabytes(size),
                        resumed > 0 ? ", resuming at " + megabytes(resumed) : ""));
            }
            sizes.put(path, size);
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
            log.println("downloaded " + path + " (" + megabytes(sizes.getOrDefault(path, 0L)) + ")");
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
