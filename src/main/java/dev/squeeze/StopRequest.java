package dev.squeeze;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A request, made from outside (the CLI on SIGINT or SIGTERM), that long-running work end early but cleanly. The work
 * polls it between units of work ({@link #throwIfRequested}) and unwinds with {@link Stopped}; nothing is interrupted
 * mid-way, so no thread is left inside native code. One instance per command run, never shared between runs.
 */
public final class StopRequest {
    private final AtomicReference<String> reason = new AtomicReference<>();

    /** Asks the work to stop, for {@code why} (e.g. "SIGTERM"); true if this is the first request. */
    public boolean request(String why) {
        return reason.compareAndSet(null, why);
    }

    public boolean requested() {
        return reason.get() != null;
    }

    /** Why the work was asked to stop, if it was. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason.get());
    }

    /** The check between units of work: throws {@link Stopped} once a stop was requested. */
    public void throwIfRequested() {
        String why = reason.get();
        if (why != null) throw new Stopped(why);
    }

    /** Unwinds work that a {@link StopRequest} ended; what was finished before it stays recorded. */
    public static final class Stopped extends RuntimeException {
        private final String reason;

        public Stopped(String reason) {
            super("stopped on " + reason, null, false, false);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }

        /** The {@link Stopped} in {@code t}'s cause chain (libraries such as Jenetics wrap what their callbacks throw), if any. */
        public static Optional<Stopped> in(Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
                if (c instanceof Stopped s) return Optional.of(s);
            }
            return Optional.empty();
        }
    }
}
