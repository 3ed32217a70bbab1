package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.util.Random;

/**
 * Random shifts and horizontal flips of {@code [C, H, W]} images, done on the stored values (a new copy per epoch
 * costs about as much as the shuffle's). Every channel of an image moves together; values shifted in from outside
 * are background (0).
 *
 * @param maxShift the largest shift, in pixels, along each axis (0: none)
 * @param flip     whether half of the images, at random, are mirrored left to right
 */
public record Augmentation(int maxShift, boolean flip) {
    public static final Augmentation NONE = new Augmentation(0, false);
    /** Shifts of up to 2 pixels and flips: the usual light augmentation for Fashion-MNIST. */
    public static final Augmentation SHIFT_AND_FLIP = new Augmentation(2, true);

    public Augmentation {
        if (maxShift < 0) throw new IllegalArgumentException("maxShift must not be negative, got " + maxShift);
    }

    public boolean isNone() {
        return maxShift == 0 && !flip;
    }

    /** Each image shifted by its own random (dy, dx) and maybe flipped; {@code images} itself is unchanged. */
    public Images apply(Images images, Random random) {
        if (isNone()) return images;
        SampleShape shape = images.shape();
        if (!shape.isImage()) throw new SqueezeException("augmentation (" + this + ") needs [C, H, W] images, the data gives " + shape);
        int channels = shape.dim(0), rows = shape.dim(1), cols = shape.dim(2), size = shape.size();
        if (maxShift >= rows || maxShift >= cols) {
            throw new IllegalArgumentException("maxShift " + maxShift + " must be smaller than the " + rows + "x" + cols + " image");
        }
        Values src = images.values();
        Values out = src.blank(src.length());
        int[] map = new int[size];
        for (int i = 0; i < images.count(); i++) {
            int dy = shift(random), dx = shift(random);
            boolean mirror = flip && random.nextBoolean();
            java.util.Arrays.fill(map, -1);
            for (int ch = 0; ch < channels; ch++) {
                int plane = ch * rows * cols;
                for (int r = 0; r < rows; r++) {
                    int sr = r - dy;
                    if (sr < 0 || sr >= rows) continue;
                    for (int c = 0; c < cols; c++) {
                        int sc = (mirror ? cols - 1 - c : c) - dx;
                        if (sc >= 0 && sc < cols) map[plane + r * cols + c] = plane + sr * cols + sc;
                    }
                }
            }
            src.gather(i * size, map, out, i * size);
        }
        return images.withValues(out);
    }

    private int shift(Random random) {
        return maxShift == 0 ? 0 : random.nextInt(2 * maxShift + 1) - maxShift;
    }

    @Override
    public String toString() {
        if (isNone()) return "none";
        return (maxShift > 0 ? "shift <= " + maxShift + " px" : "") + (maxShift > 0 && flip ? ", " : "") + (flip ? "horizontal flip" : "");
    }
}
