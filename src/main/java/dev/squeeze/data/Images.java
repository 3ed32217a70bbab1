package dev.squeeze.data;

import java.util.Arrays;

/**
 * Labelled 28x28 grey-scale images, pixels scaled to [0, 1], stored flat (row-major, 784 per image).
 * Immutable by convention: nothing in squeeze writes into the arrays after loading.
 */
public record Images(float[] pixels, int[] labels) {
    public static final int ROWS = 28;
    public static final int COLS = 28;
    public static final int PIXELS = ROWS * COLS;
    public static final int CLASSES = 10;

    public Images {
        if (pixels.length != (long) labels.length * PIXELS) {
            throw new IllegalArgumentException(labels.length + " labels but " + pixels.length + " pixels");
        }
    }

    public int count() {
        return labels.length;
    }

    /** The images at the given indices, in that order. */
    public Images subset(int[] indices) {
        float[] px = new float[indices.length * PIXELS];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * PIXELS, px, i * PIXELS, PIXELS);
            lb[i] = labels[indices[i]];
        }
        return new Images(px, lb);
    }

    /** The first {@code n} images. */
    public Images head(int n) {
        int k = Math.min(n, count());
        return new Images(Arrays.copyOf(pixels, k * PIXELS), Arrays.copyOf(labels, k));
    }
}
