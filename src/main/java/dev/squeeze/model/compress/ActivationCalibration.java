package dev.squeeze.model.compress;

import java.util.Arrays;
import java.util.Locale;

/** How an activation's quantisation range is chosen from calibration values. */
public enum ActivationCalibration {
    /** The observed minimum and maximum. */
    MINMAX,
    /** The 0.01st and 99.99th percentiles: a few outliers no longer stretch the grid for everyone. */
    PERCENTILE,
    /** The clipped range (a fraction of min/max) whose fake quantisation has the least mean squared error. */
    MSE;

    /** Values examined at most (a strided sample of larger tensors, which keeps calibration cheap). */
    static final int SAMPLE = 200_000;

    public static ActivationCalibration parse(String name, String where) {
        for (ActivationCalibration c : values()) if (c.label().equals(name)) return c;
        throw new dev.squeeze.SqueezeException(where + ": unknown calibration '" + name + "': use minmax, percentile or mse");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether this method needs only the observed minimum and maximum, which a runtime can reduce to two numbers
     * instead of handing over the whole tensor.
     */
    public boolean needsOnlyRange() {
        return this == MINMAX;
    }

    /** {@link #MINMAX}'s quantiser from an observed range. */
    public ActivationQuant fromRange(double lo, double hi, int bits) {
        if (!needsOnlyRange()) throw new IllegalStateException(label() + " calibration needs the values, not just their range");
        return bits == 16 ? ActivationQuant.FP16 : ActivationQuant.ofRange(lo, hi, bits);
    }

    /** From a layer's output: min/max by reduction; the other methods on a strided sample, without copying the tensor. */
    public ActivationQuant calibrate(org.nd4j.linalg.api.ndarray.INDArray a, int bits) {
        if (bits == 16) return ActivationQuant.FP16;
        if (needsOnlyRange()) return fromRange(a.minNumber().doubleValue(), a.maxNumber().doubleValue(), bits);
        var flat = a.ravel(); // not reshape('c', n): that resolves to reshape(long...) with 'c' as a dimension
        return fromSample(flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, step(a.length()), a.length())).dup().toFloatVector(), bits);
    }

    public ActivationQuant calibrate(float[] values, int bits) {
        if (bits == 16) return ActivationQuant.FP16;
        long step = needsOnlyRange() ? 1 : step(values.length); // min/max reads every value, as the tensor overload does
        if (step == 1) return fromSample(values, bits);
        float[] v = new float[(int) ((values.length + step - 1) / step)];
        for (int i = 0; i < v.length; i++) v[i] = values[(int) (i * step)];
        return fromSample(v, bits);
    }

    /** The sampling stride both overloads use, so that a tensor and its float copy calibrate alike. */
    private static long step(long length) {
        return Math.max(1, length / SAMPLE);
    }

    private ActivationQuant fromSample(float[] v, int bits) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return switch (this) {
            case MINMAX -> ActivationQuant.ofRange(lo, hi, bits);
            case PERCENTILE -> {
                float[] sorted = v.clone();
                Arrays.sort(sorted);
                yield ActivationQuant.ofRange(sorted[(int) Math.floor(1e-4 * (sorted.length - 1))],
                        sorted[(int) Math.ceil((1 - 1e-4) * (sorted.length - 1))], bits);
            }
            case MSE -> {
                ActivationQuant best = null;
                double bestError = Double.POSITIVE_INFINITY;
                for (int step = 0; step <= 16; step++) {
                    double f = 1 - step / 32.0; // 1.0 down to 0.5 of the observed range
                    ActivationQuant q = ActivationQuant.ofRange(lo * f, hi * f, bits);
                    double error = 0;
                    for (float x : v) {
                        double d = q.apply(x) - x;
                        error += d * d;
                    }
                    if (error < bestError) {
                        bestError = error;
                        best = q;
                    }
                }
                yield best;
            }
        };
    }
}
