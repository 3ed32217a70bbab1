package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Starts ND4J the way squeeze needs it. Call {@link #init()} before anything touches ND4J:
 * DL4J reads {@code org.eclipse.deeplearning4j.helpers.disable} once, and its default (true)
 * means no oneDNN helper is ever made, which costs a 3-5x slowdown on CPU.
 */
public final class Backend {
    public static final String HELPERS_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    private Backend() {}

    /** Enables DL4J's oneDNN helpers (unless the user explicitly disabled them) and loads ND4J. */
    public static synchronized void init() {
        if (System.getProperty(HELPERS_PROPERTY) == null) {
            System.setProperty(HELPERS_PROPERTY, "false");
        }
        Nd4j.create(1);
    }

    /**
     * One ND4J thread per operation, for callers that run one candidate per worker thread in parallel: ND4J's own
     * threads spin on a busy 2-core machine (STACK.md).
     */
    public static void oneThreadPerCandidate() {
        org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxMasterThreads(1);
        org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxThreads(1);
    }

    /** Whether the given network's first convolution layer runs through the oneDNN helper. */
    public static boolean convHelperActive(MultiLayerNetwork net) {
        for (Layer l : net.getLayers()) {
            if (l instanceof ConvolutionLayer conv) {
                return conv.getHelper() != null;
            }
        }
        throw new IllegalArgumentException("network has no convolution layer");
    }
}
