package dev.squeeze.evaluators;

import dev.squeeze.SqueezeException;
import dev.squeeze.model.Accuracy;
import dev.squeeze.results.Objective;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.function.Function;

/**
 * One quality objective measured on images encoded once: top-1 or top-5 accuracy against the labels, or, needing no
 * labels, top-1 agreement with, mean cosine similarity to, or mean KL divergence from the uncompressed network's
 * outputs on the same images (computed once, here). Every metric reads a classifier's full output rows, so the one
 * measure serves a DL4J network, a compressed model's simulation and an ONNX Runtime session alike. Immutable.
 */
public final class QualityMeasure {
    /** Probabilities below this count as this in KL divergence, so a class a quantised model rules out costs a bounded amount. */
    static final double KL_FLOOR = 1e-7;

    private final Objective metric;
    private final Accuracy.Encoded images;
    private final Outputs reference; // the uncompressed network's output rows; null for labelled metrics
    private final int[] referenceClasses;

    private QualityMeasure(Objective metric, Accuracy.Encoded images, Outputs reference) {
        this.metric = metric;
        this.images = images;
        this.reference = reference;
        this.referenceClasses = reference == null ? null : reference.classes();
    }

    /**
     * @param uncompressed the uncompressed network's output for a batch of features (read once per batch for the
     *                     label-free metrics; not called for accuracy)
     */
    public static QualityMeasure of(Objective metric, Accuracy.Encoded images, Function<INDArray, INDArray> uncompressed) {
        return againstLabels(metric, images) ? new QualityMeasure(metric, images, null) : new QualityMeasure(metric, images, read(images, uncompressed));
    }

    /** As {@link #of(Objective, Accuracy.Encoded, Function)}, with the uncompressed network's outputs already read ({@link #read}). */
    public static QualityMeasure of(Objective metric, Accuracy.Encoded images, Outputs uncompressed) {
        return new QualityMeasure(metric, images, againstLabels(metric, images) ? null : uncompressed);
    }

    /** Whether the metric is measured against labels (they are there; else a one-line error), not against the reference. */
    private static boolean againstLabels(Objective metric, Accuracy.Encoded images) {
        if (!metric.quality()) throw new IllegalArgumentException(metric.key() + " is a cost, not a quality metric");
        if (!metric.needsLabels()) return false;
        if (images.labels() == null) {
            throw new SqueezeException(metric.key() + " needs labels and the data has none: measure agreement, output_cosine or output_kl "
                    + "(no labels needed), or give the data labels");
        }
        return true;
    }

    public Objective metric() {
        return metric;
    }

    /** How many images each measurement reads. */
    public int count() {
        return images.count();
    }

    /** The metric of a classifier mapping a batch of features to its output rows ([N, K]; the caller's, freed here). */
    public double of(Function<INDArray, INDArray> outputs) {
        return of(outputs(outputs));
    }

    /**
     * A classifier's output rows on every image, a batch at a time, for measuring several metrics (and predictions)
     * from one pass; the outputs are freed as they are read.
     */
    public Outputs outputs(Function<INDArray, INDArray> classifier) {
        return read(images, classifier);
    }

    /** {@link #outputs} of a classifier on {@code images}, before any measure exists (the uncompressed network's, for {@link #of}). */
    public static Outputs read(Accuracy.Encoded images, Function<INDArray, INDArray> classifier) {
        var rows = new java.util.ArrayList<float[]>();
        int width = 0;
        for (INDArray batch : images.batches()) {
            INDArray out = classifier.apply(batch);
            int n = (int) (out.length() / out.size(0));
            rows.add(rowsOf(out, (int) out.size(0), n));
            width = n;
        }
        return new Outputs(rows, width);
    }

    /** Output rows per batch of the encoded images, {@code width} values per image. */
    public record Outputs(List<float[]> batches, int width) {
        public Outputs {
            batches = List.copyOf(batches);
        }

        /** The top-1 class of every image, ties broken as {@link Accuracy#classes(INDArray)} breaks them. */
        public int[] classes() {
            int total = batches.stream().mapToInt(b -> b.length / width).sum(), at = 0;
            int[] out = new int[total];
            for (float[] b : batches) {
                int rows = b.length / width;
                System.arraycopy(Accuracy.classes(b, rows, width), 0, out, at, rows);
                at += rows;
            }
            return out;
        }
    }

    /** The metric of outputs read by {@link #outputs}. */
    public double of(Outputs outputs) {
        double sum = 0;
        int at = 0;
        for (int b = 0; b < outputs.batches().size(); b++) {
            float[] v = outputs.batches().get(b);
            int rows = v.length / outputs.width();
            sum += batchSum(v, rows, outputs.width(), at, reference == null ? null : reference.batches().get(b));
            at += rows;
        }
        return sum / at;
    }

    /** An output of any shape as {@code rows} rows of {@code n} floats; the output is freed. */
    private static float[] rowsOf(INDArray out, int rows, int n) {
        if (out.rank() == 2) return Accuracy.rows(out);
        float[] v = Accuracy.rows(out.reshape('c', rows, n));
        dev.squeeze.model.Backend.release(out);
        return v;
    }

    /** The metric summed over one batch's rows, {@code at} the batch's first image. */
    private double batchSum(float[] v, int rows, int n, int at, float[] ref) {
        return switch (metric) {
            case ACCURACY -> matches(Accuracy.classes(v, rows, n), images.labels(), at);
            case AGREEMENT -> matches(Accuracy.classes(v, rows, n), referenceClasses, at);
            case TOP5_ACCURACY -> {
                int hits = 0;
                for (int r = 0; r < rows; r++) if (inTop(v, r * n, n, Math.min(5, n), images.labels()[at + r])) hits++;
                yield hits;
            }
            case OUTPUT_COSINE -> {
                checkWidth(ref, v);
                double s = 0;
                for (int r = 0; r < rows; r++) s += cosine(ref, v, r * n, n);
                yield s;
            }
            case OUTPUT_KL -> {
                checkWidth(ref, v);
                double s = 0;
                for (int r = 0; r < rows; r++) s += kl(distribution(ref, r * n, n), distribution(v, r * n, n));
                yield s;
            }
            default -> throw new IllegalStateException(metric.key());
        };
    }

    private static int matches(int[] predicted, int[] expected, int at) {
        int hits = 0;
        for (int i = 0; i < predicted.length; i++) if (predicted[i] == expected[at + i]) hits++;
        return hits;
    }

    /** Whether class {@code label} is among the {@code k} highest scores of the row (ties at the k-th score count as in). */
    static boolean inTop(float[] v, int from, int n, int k, int label) {
        float own = v[from + label];
        int higher = 0;
        for (int j = 0; j < n; j++) if (v[from + j] > own) higher++;
        return higher < k;
    }

    static double cosine(float[] a, float[] b, int from, int n) {
        double dot = 0, na = 0, nb = 0;
        for (int j = from; j < from + n; j++) {
            dot += (double) a[j] * b[j];
            na += (double) a[j] * a[j];
            nb += (double) b[j] * b[j];
        }
        if (na == 0 && nb == 0) return 1;
        if (na == 0 || nb == 0) return 0;
        return dot / Math.sqrt(na * nb);
    }

    /**
     * The row as a probability distribution: as it is when it already is one (a softmax output), else its softmax
     * (logits, or any other output), so KL divergence is defined for every network.
     */
    static double[] distribution(float[] v, int from, int n) {
        double sum = 0;
        boolean nonNegative = true;
        for (int j = from; j < from + n; j++) {
            sum += v[j];
            nonNegative &= v[j] >= 0;
        }
        var p = new double[n];
        if (nonNegative && Math.abs(sum - 1) < 1e-3) {
            for (int j = 0; j < n; j++) p[j] = v[from + j] / sum;
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int j = from; j < from + n; j++) max = Math.max(max, v[j]);
        double z = 0;
        for (int j = 0; j < n; j++) z += p[j] = Math.exp(v[from + j] - max);
        for (int j = 0; j < n; j++) p[j] /= z;
        return p;
    }

    /** KL(p || q), q floored at {@link #KL_FLOOR}. */
    static double kl(double[] p, double[] q) {
        double s = 0;
        for (int j = 0; j < p.length; j++) if (p[j] > 0) s += p[j] * Math.log(p[j] / Math.max(KL_FLOOR, q[j]));
        return Math.max(0, s);
    }

    private static void checkWidth(float[] ref, float[] v) {
        if (ref.length != v.length) {
            throw new IllegalStateException("the compressed model gives " + v.length + " outputs per batch where the uncompressed one gave " + ref.length);
        }
    }
}
