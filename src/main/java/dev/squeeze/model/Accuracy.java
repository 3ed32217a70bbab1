package dev.squeeze.model;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Top-1 accuracy of a network on images, in batches, with bulk ND4J reads (no per-element calls). */
public final class Accuracy {
    public static final int BATCH = 500;

    private Accuracy() {}

    public static double of(Model net, Images images, InputEncoding encoding) {
        int correct = 0;
        for (int from = 0; from < images.count(); from += BATCH) {
            int to = Math.min(images.count(), from + BATCH);
            int[] predicted = predict(net, encoding.features(images, from, to));
            for (int i = 0; i < predicted.length; i++) {
                if (predicted[i] == images.labels()[from + i]) correct++;
            }
        }
        return (double) correct / images.count();
    }

    /** Predicted classes for a batch of features. */
    public static int[] predict(Model net, INDArray features) {
        INDArray out = output(net, features);
        return out.argMax(1).toIntVector();
    }

    public static INDArray output(Model net, INDArray features) {
        if (net instanceof MultiLayerNetwork m) return m.output(features, false);
        if (net instanceof ComputationGraph g) return g.outputSingle(false, features);
        throw new IllegalArgumentException("unsupported network type " + net.getClass().getSimpleName());
    }
}
