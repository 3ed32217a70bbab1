package dev.squeeze.cli;

import dev.squeeze.Progress;

import java.io.PrintWriter;

/** Redraws one status line on a terminal (at most ~4 times a second); plain lines when not a terminal. */
final class TerminalProgress implements Progress {
    private final PrintWriter out;
    private final boolean interactive;
    private long lastDraw;
    private int lastLength;

    TerminalProgress(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    static TerminalProgress stderr(PrintWriter err) {
        return new TerminalProgress(err, System.console() != null);
    }

    @Override
    public synchronized void update(String status) {
        long now = System.nanoTime();
        long interval = interactive ? 250_000_000L : 30_000_000_000L;
        if (now - lastDraw < interval) return;
        lastDraw = now;
        if (interactive) {
            out.print("\r" + status + " ".repeat(Math.max(0, lastLength - status.length())));
            lastLength = status.length();
        } else {
            out.println(status);
        }
        out.flush();
    }

    @Override
    public synchronized void log(String line) {
        if (interactive && lastLength > 0) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            lastLength = 0;
        }
        out.println(line);
        out.flush();
    }
}
