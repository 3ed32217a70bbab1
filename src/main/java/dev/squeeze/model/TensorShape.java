package dev.squeeze.model;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape of one example's tensor, batch dimension excluded. Images are {@code [C, H, W]},
 * sequences {@code [L, D]} (length, width), vectors {@code [D]}, token ids {@code [L]}.
 */
public record TensorShape(List<Integer> dims) {
    public TensorShape {
        dims = List.copyOf(dims);
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("shape dimensions must be positive: " + dims);
        }
    }

    public static TensorShape of(int... dims) {
        return new TensorShape(java.util.Arrays.stream(dims).boxed().toList());
    }

    public int rank() {
        return dims.size();
    }

    public int dim(int i) {
        return dims.get(i);
    }

    /** The last dimension: channels are first for images, so callers pick what they mean. */
    public int last() {
        return dims.get(dims.size() - 1);
    }

    /** Number of elements. */
    public long elements() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    public boolean isImage() {
        return dims.size() == 3;
    }

    /** The dimension that channel/unit pruning shrinks: C for images, D for sequences and vectors. */
    public int featureAxis() {
        return isImage() ? 0 : dims.size() - 1;
    }

    public int features() {
        return dims.get(featureAxis());
    }

    /** Elements per feature (H*W for an image, L for a sequence, 1 for a vector). */
    public long elementsPerFeature() {
        return elements() / features();
    }

    public TensorShape withFeatures(int features) {
        var copy = new java.util.ArrayList<>(dims);
        copy.set(featureAxis(), features);
        return new TensorShape(copy);
    }

    @Override
    public String toString() {
        return dims.stream().map(String::valueOf).collect(Collectors.joining("x"));
    }
}
