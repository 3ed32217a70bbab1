package dev.squeeze.onnx;

import ai.onnxruntime.OrtEnvironment;
import dev.squeeze.SqueezeException;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The one place squeeze starts ONNX Runtime, and the threads it runs on. ONNX Runtime 1.29 initialises its telemetry
 * on the thread that creates the first environment and overflows the JVM's default 1 MB thread stack there (a SIGSEGV
 * that kills the JVM without an error report; -Xss16m or ORT_DISABLE_TELEMETRY=1 avoid it too). Sessions created and
 * run later on ordinary threads passed OnnxRunnerTest, but that proves no headroom for other models or code paths, so
 * every thread squeeze runs ONNX Runtime on gets {@link #STACK_BYTES}: the CLI's main work ({@code cli.Main}), the
 * evaluation workers ({@link #threads}), and one-off work ({@link #onLargeStack}). A Java thread's stack is reserved
 * address space; the pages a thread never touches cost no memory.
 */
public final class Ort {
    /** The stack of every thread that may call ONNX Runtime. */
    public static final long STACK_BYTES = 64L << 20;
    private static volatile OrtEnvironment environment;

    private Ort() {}

    /** The process-wide ONNX Runtime environment (ONNX Runtime keeps one per process; never closed here). */
    public static OrtEnvironment environment() {
        OrtEnvironment env = environment;
        if (env == null) {
            synchronized (Ort.class) {
                if (environment == null) environment = onLargeStack(OrtEnvironment::getEnvironment);
                env = environment;
            }
        }
        return env;
    }

    /** Makes threads named {@code name} with the stack ONNX Runtime needs; daemon threads when {@code daemon}. */
    public static ThreadFactory threads(String name, boolean daemon) {
        return work -> {
            Thread t = new Thread(null, work, name, STACK_BYTES);
            t.setDaemon(daemon);
            return t;
        };
    }

    /** Runs {@code work} on a fresh thread with a {@link #STACK_BYTES} stack and waits for it; its exception or error is rethrown here. */
    public static <T> T onLargeStack(Supplier<T> work) {
        return onLargeStack("squeeze-onnxruntime", work);
    }

    /** As {@link #onLargeStack(Supplier)}, on a thread named {@code name}. */
    public static <T> T onLargeStack(String name, Supplier<T> work) {
        var result = new AtomicReference<T>();
        var failure = new AtomicReference<Throwable>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(work.get());
            } catch (RuntimeException | Error e) {
                failure.set(e);
            }
        }, name, STACK_BYTES);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SqueezeException("interrupted while waiting for ONNX Runtime");
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        return result.get();
    }
}
