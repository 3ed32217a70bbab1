package dev.squeeze.data;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape of one sample, batch dimension excluded: {@code [C, H, W]} for images, {@code [D]} for a row of
 * features. ({@code model.TensorShape} is the model's view of the same thing; {@code data} sits below {@code model}.)
 */
public record SampleShape(List<Integer> dims) {
    public SampleShape {
        dims = List.copyOf(dims);
        if (dims.isEmpty()) throw new IllegalArgumentException("a sample shape needs at least one dimension");
        for (int d : dims) if (d <= 0) throw new IllegalArgumentException("shape dimensions must be positive: " + dims);
        size(dims);
    }

    public static SampleShape of(int... dims) {
        return new SampleShape(Arrays.stream(dims).boxed().toList());
    }

    public int rank() {
        return dims.size();
    }

    public int dim(int i) {
        return dims.get(i);
    }

    /** Values per sample. */
    public int size() {
        return size(dims);
    }

    /** {@code [C, H, W]}: what image encodings, augmentation and resizing work on. */
    public boolean isImage() {
        return dims.size() == 3;
    }

    /** The first axis: channels of an image, features of a row; scale, mean and std are given per index along it. */
    public int channels() {
        return dims.get(0);
    }

    /** Values per index of the first axis (H*W for an image, 1 for a row of features). */
    public int perChannel() {
        return size() / channels();
    }

    public int[] toArray() {
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int size(List<Integer> dims) {
        long n = 1;
        for (int d : dims) n *= d;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("a sample of shape " + dims + " is too large");
        return (int) n;
    }

    /** {@code [1, 28, 28]}, as data files and errors spell it. */
    @Override
    public String toString() {
        return dims.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }
}
