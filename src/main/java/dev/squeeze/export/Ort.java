package dev.squeeze.export;

import ai.onnxruntime.OrtEnvironment;
import dev.squeeze.SqueezeException;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The one place squeeze starts ONNX Runtime. ONNX Runtime 1.29 initialises its telemetry on the thread that
 * creates the first environment and overflows the JVM's default 1 MB thread stack there (a SIGSEGV that kills
 * the JVM without an error report; -Xss16m or ORT_DISABLE_TELEMETRY=1 avoid it too). Only that creation needs
 * the large stack: sessions created and run later on ordinary threads were measured safe (see OnnxRunnerTest).
 */
public final class Ort {
    private static final long LARGE_STACK = 64L << 20;
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

    /** Runs {@code work} on a fresh thread with a 64 MB stack and waits for it; its exception or error is rethrown here. */
    public static <T> T onLargeStack(Supplier<T> work) {
        var result = new AtomicReference<T>();
        var failure = new AtomicReference<Throwable>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(work.get());
            } catch (RuntimeException | Error e) {
                failure.set(e);
            }
        }, "squeeze-onnxruntime", LARGE_STACK);
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
