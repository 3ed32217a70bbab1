package org.nd4j.nativeblas;

/**
 * Compatibility shim, not ND4J code. DL4J 1.0.0-M2.1 decides whether to create its oneDNN layer
 * helpers by reflecting on {@code org.nd4j.nativeblas.Nd4jCpu$Environment.isUseMKLDNN()}, a class
 * the native backend no longer ships (its environment moved to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment} and the flag was renamed
 * {@code isUseONEDNN}). Without this class DL4J silently falls back to its generic conv, pooling
 * and batch-norm code, 3-5x slower on CPU. {@code dev.squeeze.model.Backend} tests that it works.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {}

    /** Delegates DL4J's reflective check to the backend's real environment. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {}

        public static Environment getInstance() {
            return INSTANCE;
        }

        public boolean isUseMKLDNN() {
            return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
        }
    }
}
