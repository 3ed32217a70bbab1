package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Samples of one shape (images {@code [C, H, W]}, rows of features {@code [D]}), their labels and classes, and the
 * {@link Scaling} that turns them into model inputs ({@link InputEncoding} applies it). Values stay as compact as
 * they came ({@link Values}). Immutable by convention: nothing writes into the arrays after loading.
 *
 * @param labels     one class index per sample, or null when the data has none ({@code labels: none})
 * @param classNames one name per class, in class-index order (folder names, or "0".."K-1" when the data gives none);
 *                   empty when unlabelled
 */
public record Images(SampleShape shape, Values values, int[] labels, List<String> classNames, Scaling scaling) {
    public Images {
        Objects.requireNonNull(shape);
        Objects.requireNonNull(values);
        Objects.requireNonNull(scaling);
        classNames = List.copyOf(classNames);
        if (values.length() % shape.size() != 0) {
            throw new IllegalArgumentException(values.length() + " values are not a whole number of " + shape + " samples");
        }
        if (labels != null) {
            if ((long) labels.length * shape.size() != values.length()) {
                throw new IllegalArgumentException(labels.length + " labels but " + values.length() / shape.size() + " samples");
            }
            for (int l : labels) {
                if (l < 0 || l >= classNames.size()) throw new IllegalArgumentException("label " + l + " outside 0.." + (classNames.size() - 1));
            }
        } else if (!classNames.isEmpty()) {
            throw new IllegalArgumentException("unlabelled images have no classes");
        }
        if (!scaling.fits(shape.channels())) {
            throw new IllegalArgumentException("mean/std " + scaling.mean() + "/" + scaling.std() + " do not fit shape " + shape);
        }
    }

    /** "0".."K-1": class names for data that gives only indices. */
    public static List<String> numberedClasses(int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(Integer::toString).toList();
    }

    public int count() {
        return values.length() / shape.size();
    }

    public int classes() {
        return classNames.size();
    }

    public boolean labelled() {
        return labels != null;
    }

    /** The labels; a one-line error for unlabelled data, whose users need labels it does not have. */
    @Override
    public int[] labels() {
        if (labels == null) {
            throw new SqueezeException("the data has no labels (labels: none) and this step needs them: "
                    + "give the data labels (class subfolders, a label column or a labels file)");
        }
        return labels;
    }

    /** The samples at the given indices, in that order. */
    public Images subset(int[] indices) {
        int[] lb = null;
        if (labels != null) {
            lb = new int[indices.length];
            for (int i = 0; i < indices.length; i++) lb[i] = labels[indices[i]];
        }
        return new Images(shape, values.samples(indices, shape.size()), lb, classNames, scaling);
    }

    /** The first {@code n} samples. */
    public Images head(int n) {
        int k = Math.min(n, count());
        return new Images(shape, values.range(0, k * shape.size()), labels == null ? null : Arrays.copyOf(labels, k), classNames, scaling);
    }

    /** The same samples with other values of the same shape (augmentation). */
    public Images withValues(Values other) {
        return new Images(shape, other, labels, classNames, scaling);
    }

    /** The same samples read with another scaling. */
    public Images withScaling(Scaling other) {
        return new Images(shape, values, labels, classNames, other);
    }

    /** Samples {@code [from, to)} scaled into {@code out}, flat in sample order. */
    public void decode(int from, int to, float[] out) {
        int size = shape.size(), per = shape.perChannel(), channels = shape.channels();
        int base = from * size;
        if (values instanceof Values.Bytes b) {
            byte[] v = b.values();
            float[][] tables = new float[channels][];
            for (int c = 0; c < channels; c++) tables[c] = scaling.byteTable(c);
            for (int i = 0, o = 0; i < to - from; i++) {
                for (int c = 0; c < channels; c++) {
                    float[] t = tables[c];
                    for (int k = 0; k < per; k++, o++) out[o] = t[v[base + o] & 0xff];
                }
            }
        } else {
            for (int i = 0, o = 0; i < to - from; i++) {
                for (int c = 0; c < channels; c++) {
                    for (int k = 0; k < per; k++, o++) out[o] = scaling.apply(values.raw(base + o), c);
                }
            }
        }
    }

    /** How many samples of each class. */
    public int[] perClass() {
        int[] n = new int[classes()];
        for (int l : labels()) n[l]++;
        return n;
    }

    @Override
    public String toString() {
        return count() + " samples " + shape + " " + values.kind() + (labels == null ? ", unlabelled" : ", " + classes() + " classes");
    }
}
