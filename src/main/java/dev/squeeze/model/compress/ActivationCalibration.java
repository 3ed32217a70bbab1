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

    /** From a layer's output: min/max by reduction; the other methods on a strided sample, without copying the tensor. */
    public ActivationQuant calibrate(org.nd4j.linalg.api.ndarray.INDArray a, int bits) {
        if (bits == 16) return ActivationQuant.FP16;
        if (this == MINMAX) return ActivationQuant.ofRange(a.minNumber().doubleValue(), a.maxNumber().doubleValue(), bits);
        var flat = a.reshape('c', a.length());
        long step = Math.max(1, a.length() / SAMPLE);
        return calibrate(flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, step, a.length())).dup().toFloatVector(), bits);
    }

    public ActivationQuant calibrate(float[] values, int bits) {
        if (bits == 16) return ActivationQuant.FP16;
        float[] v = sample(values);
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

    private static float[] sample(float[] values) {
        if (values.length <= SAMPLE) return values;
        float[] s = new float[SAMPLE];
        double stride = (double) values.length / SAMPLE;
        for (int i = 0; i < SAMPLE; i++) s[i] = values[(int) (i * stride)];
        return s;
    }
}
