package dev.squeeze.cli;

import dev.squeeze.StopRequest;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * What squeeze does on SIGINT (Ctrl-C) and SIGTERM (what schedulers and containers send to end a job). The JVM's own
 * handling runs its shutdown and exits while worker threads may still be inside ONNX Runtime or ND4J, and the exit
 * tears their native state down under them (seen: a SIGSEGV in {@code OrtSession.createSession} on an evaluation
 * worker, and an hs_err_pid*.log in the user's directory). Instead:
 * <ul>
 * <li>{@link #atOnce}, for every command: the process ends by the signal's own default action, before any Java shutdown
 *     or native teardown runs, so nothing can crash on the way out; the exit status is 128 + the signal's number.</li>
 * <li>{@link #gracefully}, for {@code search} and {@code demo}: the first signal asks the run to stop ({@link StopRequest});
 *     it finishes or abandons the evaluations under way, writes the front of the trials so far and returns, and the
 *     command exits with {@link #exitCode}. A second signal ends the process at once, as above.</li>
 * </ul>
 * Handlers are installed with {@code sun.misc.Signal} (module jdk.unsupported, supported for exactly this). A signal the
 * process started with ignored (SIGINT for a background job of a non-interactive shell) stays ignored, as the JVM leaves it.
 */
final class StopSignals implements AutoCloseable {
    private static final List<String> SIGNALS = List.of("INT", "TERM");

    private final Map<Signal, SignalHandler> replaced = new LinkedHashMap<>();
    private final AtomicReference<Signal> received = new AtomicReference<>();

    private StopSignals() {}

    /** Every signal ends the process at once, after one line on {@code err}. */
    static StopSignals atOnce(PrintWriter err) {
        var signals = new StopSignals();
        signals.install(sig -> {
            err.println("squeeze: " + label(sig) + ": stopping at once (what this command was writing may be incomplete)");
            err.flush();
            endBy(sig);
        });
        return signals;
    }

    /**
     * The first signal requests {@code stop} and says so through {@code notice}; a second one ends the process at once.
     * Closing restores the handlers this replaced.
     */
    static StopSignals gracefully(StopRequest stop, Consumer<String> notice, PrintWriter err) {
        var signals = new StopSignals();
        signals.install(sig -> {
            signals.received.compareAndSet(null, sig);
            if (stop.request(label(sig))) {
                notice.accept("squeeze: " + label(sig) + ": finishing the evaluations under way, then writing the front of the trials so far"
                        + " (another SIGINT or SIGTERM stops at once)");
            } else {
                err.println("squeeze: " + label(sig) + " again: stopping at once; trials.jsonl keeps every finished trial (continue with --resume)");
                err.flush();
                endBy(sig);
            }
        });
        return signals;
    }

    /** 128 + the number of the first signal received (130 for SIGINT, 143 for SIGTERM, as shells report a death by signal). */
    OptionalInt exitCode() {
        Signal sig = received.get();
        return sig == null ? OptionalInt.empty() : OptionalInt.of(128 + sig.getNumber());
    }

    @Override
    public void close() {
        replaced.forEach(Signal::handle);
        replaced.clear();
    }

    private void install(SignalHandler handler) {
        for (String name : SIGNALS) {
            Signal sig = new Signal(name);
            try {
                SignalHandler previous = Signal.handle(sig, handler);
                replaced.put(sig, previous);
            } catch (IllegalArgumentException reserved) {
                // the JVM keeps this signal (-Xrs): its own handling stays
            }
        }
    }

    private static String label(Signal sig) {
        return "SIG" + sig.getName();
    }

    /**
     * Ends the process by {@code sig}'s default action: the kernel stops every thread at once, so no shutdown hook,
     * atexit handler or native library destructor runs while another thread is inside native code (System.exit and
     * Runtime.halt both end in the C library's exit, which runs them). The JDK raises a signal only while a Java handler
     * is installed for it, so the shell's kill sends it once the default action is back.
     */
    private static void endBy(Signal sig) {
        Signal.handle(sig, SignalHandler.SIG_DFL);
        try {
            Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -" + sig.getName() + " " + ProcessHandle.current().pid())
                    .redirectErrorStream(true).start();
            if (kill.waitFor() == 0) Thread.sleep(10_000); // the signal is on its way; this thread only waits for it
        } catch (java.io.IOException | InterruptedException e) {
            // no shell here: exit the JVM's way instead
        }
        Runtime.getRuntime().halt(128 + sig.getNumber());
    }
}
