package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
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
     * threads spin on a busy 2-core machine and slow every candidate down.
     */
    public static void oneThreadPerCandidate() {
        org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxMasterThreads(1);
        org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxThreads(1);
    }

    /**
     * Frees the arrays' native buffers now. An ND4J buffer is otherwise freed only when the garbage collector finds
     * its small Java wrapper unreachable, and a search allocates little Java heap, so collections are rare while
     * each candidate leaves megabytes of native buffers behind: before this, a demo grew to 9-11 GB resident and a
     * long search to 17 GB (JavaCPP forces a collection only at four times the heap). Views, arrays inside a
     * workspace and arrays already freed are left alone; nothing may use an array after it is released.
     */
    public static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed() && a.closeable()) a.close();
        }
    }

    /**
     * Releases {@code done} unless it is, or shares its buffer with, one of {@code kept} (a reshape can share a buffer
     * without being a view): for a forward pass that frees each layer's input once the next output exists.
     */
    public static void releaseUnlessShared(INDArray done, INDArray... kept) {
        if (done == null) return;
        for (INDArray k : kept) if (k == done || (k != null && k.data() == done.data())) return;
        release(done);
    }

    /** {@link #release} for everything a network owns: parameters, gradients, updater state. The network is unusable after. */
    public static void release(Model net) {
        if (net == null) return;
        release(net.params());
        if (net instanceof MultiLayerNetwork m) {
            if (m.getFlattenedGradients() != null) release(m.getFlattenedGradients());
            var updater = m.getUpdater(false);
            if (updater != null) release(updater.getStateViewArray());
        } else if (net instanceof ComputationGraph g) {
            if (g.getFlattenedGradients() != null) release(g.getFlattenedGradients());
            var updater = g.getUpdater(false);
            if (updater != null) release(updater.getStateViewArray());
        }
    }

    /** Whether the given network's first convolution layer runs through the oneDNN helper. */
    public static boolean convHelperActive(Model net) {
        Layer[] layers = net instanceof MultiLayerNetwork m ? m.getLayers() : ((ComputationGraph) net).getLayers();
        for (Layer l : layers) {
            if (l instanceof ConvolutionLayer conv) {
                return conv.getHelper() != null;
            }
        }
        throw new IllegalArgumentException("network has no convolution layer");
    }
}
