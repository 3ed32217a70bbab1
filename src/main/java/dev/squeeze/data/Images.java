package dev.squeeze.data;

import java.util.Arrays;

/**
 * Labelled 28x28 grey-scale images, stored flat (row-major, 784 per image) as the files' grey levels 0..255
 * (unsigned bytes): a quarter of the memory of floats, and loading skips a 188 MB float copy of the train file.
 * {@link InputEncoding} scales them to [0, 1]. Immutable by convention: nothing writes into the arrays after loading.
 */
public record Images(byte[] pixels, int[] labels) {
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
        byte[] px = new byte[indices.length * PIXELS];
        int[] lb = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * PIXELS, px, i * PIXELS, PIXELS);
            lb[i] = labels[indices[i]];
        }
        return new Images(px, lb);
    }

    /** Pixel {@code i} of the flat array scaled to [0, 1]. */
    public float pixel(int i) {
        return (pixels[i] & 0xff) / 255f;
    }

    /** The first {@code n} images. */
    public Images head(int n) {
        int k = Math.min(n, count());
        return new Images(Arrays.copyOf(pixels, k * PIXELS), Arrays.copyOf(labels, k));
    }
}
