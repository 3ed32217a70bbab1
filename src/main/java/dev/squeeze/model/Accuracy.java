package dev.squeeze.model;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Top-1 accuracy in batches of {@link #BATCH}, with bulk ND4J reads (no per-element calls). Every classifier
 * squeeze measures (a DL4J network, a compressed model's simulation, an ONNX Runtime session) goes through here.
 */
public final class Accuracy {
    public static final int BATCH = 500;

    private Accuracy() {}

    public static double of(Model net, Images images, InputEncoding encoding) {
        return of(images, encoding, features -> predict(net, features));
    }

    /** Accuracy of a classifier that maps a batch of features to predicted classes. */
    public static double of(Images images, InputEncoding encoding, Function<INDArray, int[]> classify) {
        return share(predictions(images, encoding, classify), images.labels());
    }

    /** Predicted classes for every image, encoded and classified a batch at a time. */
    public static int[] predictions(Images images, InputEncoding encoding, Function<INDArray, int[]> classify) {
        int[] out = new int[images.count()];
        for (int from = 0; from < images.count(); from += BATCH) {
            int to = Math.min(images.count(), from + BATCH);
            System.arraycopy(classify.apply(encoding.features(images, from, to)), 0, out, from, to - from);
        }
        return out;
    }

    /** The share of predictions equal to their labels. */
    public static double share(int[] predicted, int[] labels) {
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) if (predicted[i] == labels[i]) correct++;
        return (double) correct / predicted.length;
    }

    /** Images encoded once, for measuring many classifiers on the same set (the search's hot path); labels null when the data has none. */
    public record Encoded(List<INDArray> batches, int[] labels) {
        public Encoded {
            batches = List.copyOf(batches);
            labels = labels == null ? null : labels.clone();
        }

        public static Encoded of(Images images, InputEncoding encoding) {
            return of(images, encoding, BATCH);
        }

        public static Encoded of(Images images, InputEncoding encoding, int batch) {
            var batches = new ArrayList<INDArray>();
            for (int from = 0; from < images.count(); from += batch) batches.add(encoding.features(images, from, Math.min(images.count(), from + batch)));
            return new Encoded(batches, images.labelled() ? images.labels() : null);
        }

        /** How many images were encoded. */
        public int count() {
            return batches.stream().mapToInt(b -> (int) b.size(0)).sum();
        }

        public double accuracy(Function<INDArray, int[]> classify) {
            return share(predictions(classify), labels);
        }

        /** Predicted classes for every image, a batch at a time. */
        public int[] predictions(Function<INDArray, int[]> classify) {
            int[] predicted = new int[count()];
            int at = 0;
            for (INDArray batch : batches) {
                int[] p = classify.apply(batch);
                System.arraycopy(p, 0, predicted, at, p.length);
                at += p.length;
            }
            return predicted;
        }
    }

    /** Predicted classes for a batch of features. */
    public static int[] predict(Model net, INDArray features) {
        return classes(output(net, features));
    }

    /**
     * Scores within this much (relative to the top score, at least absolute) of the top one count as tied with it. Two
     * runtimes computing the same probabilities differ in their last bits (softmax, summation order); where classes tie
     * exactly in exact arithmetic, as low-bit models make them do (fashion-cnn w2a4: 34 of 10,000 test images, where
     * the DL4J simulation and ONNX Runtime gave the same probabilities to 3e-7), the last bits would pick the class.
     */
    public static final float TIE = 1e-6f;

    /**
     * The arg max of each row of {@code scores} ([N, classes]), the lowest class among those tied with the top
     * ({@link #TIE}), so that every classifier squeeze measures breaks ties alike. The scores' buffer (the caller's to
     * give up) is freed.
     */
    public static int[] classes(INDArray scores) {
        return classes(rows(scores), (int) scores.size(0), (int) scores.size(1));
    }

    /** The scores ([N, classes]) as row-major floats; their buffer (the caller's to give up) is freed. */
    public static float[] rows(INDArray scores) {
        INDArray asFloat = scores.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        INDArray dense = asFloat.dup('c');
        float[] v = dense.data().asFloat();
        Backend.releaseUnlessShared(asFloat, scores);
        Backend.release(dense, scores);
        return v;
    }

    /** {@link #classes(INDArray)} of {@code rows} row-major scores of {@code n} classes each. */
    public static int[] classes(float[] v, int rows, int n) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, v[r * n + j]);
            float floor = max - TIE * Math.max(1f, Math.abs(max));
            int j = 0;
            while (v[r * n + j] < floor) j++;
            out[r] = j;
        }
        return out;
    }

    public static INDArray output(Model net, INDArray features) {
        if (net instanceof MultiLayerNetwork m) return m.output(features, false);
        if (net instanceof ComputationGraph g) return g.outputSingle(false, features);
        throw new IllegalArgumentException("unsupported network type " + net.getClass().getSimpleName());
    }
}
