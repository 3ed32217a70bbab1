package dev.squeeze.data;

import java.util.List;

/**
 * How stored values become model inputs: {@code (raw * scale - mean[c]) / std[c]}, computed in double and rounded
 * once to float, with {@code c} the index along the sample's first axis (an image's channel). One mean or std
 * applies to every index. Fashion-MNIST's is {@code scale 1/255, mean 0, std 1}, which gives exactly the floats
 * {@code byte / 255f} gave before data sources were declared ({@code InputEncodingTest} checks all 256).
 *
 * @param mean one value, or one per index of the first axis
 * @param std  one value, or one per index of the first axis; all positive
 */
public record Scaling(double scale, List<Double> mean, List<Double> std) {
    /** Grey levels 0..255 to [0, 1]. */
    public static final Scaling UNIT_BYTES = new Scaling(1 / 255.0, List.of(0.0), List.of(1.0));
    /** Values as stored. */
    public static final Scaling NONE = new Scaling(1, List.of(0.0), List.of(1.0));

    public Scaling {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (!Double.isFinite(scale) || scale == 0) throw new IllegalArgumentException("scale must be finite and not 0, got " + scale);
        if (mean.isEmpty() || std.isEmpty()) throw new IllegalArgumentException("mean and std need at least one value");
        for (double s : std) if (!(s > 0) || !Double.isFinite(s)) throw new IllegalArgumentException("std must be positive, got " + std);
    }

    /** Whether mean and std fit a sample whose first axis has {@code channels} indices. */
    public boolean fits(int channels) {
        return (mean.size() == 1 || mean.size() == channels) && (std.size() == 1 || std.size() == channels);
    }

    public float apply(float raw, int channel) {
        double m = mean.get(mean.size() == 1 ? 0 : channel), s = std.get(std.size() == 1 ? 0 : channel);
        return (float) ((raw * scale - m) / s);
    }

    /** {@link #apply} of every grey level for channel {@code c}: a lookup per byte instead of the arithmetic. */
    float[] byteTable(int channel) {
        float[] t = new float[256];
        for (int v = 0; v < 256; v++) t[v] = apply(v, channel);
        return t;
    }
}
