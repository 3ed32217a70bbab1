package dev.squeeze.data;

import java.util.Random;

/**
 * Random shifts and horizontal flips of 28x28 images, done on the grey-level bytes (a new copy per epoch costs
 * about as much as the shuffle's). Pixels shifted in from outside are background (0).
 *
 * @param maxShift the largest shift, in pixels, along each axis (0: none)
 * @param flip     whether half of the images, at random, are mirrored left to right
 */
public record Augmentation(int maxShift, boolean flip) {
    public static final Augmentation NONE = new Augmentation(0, false);
    /** Shifts of up to 2 pixels and flips: the usual light augmentation for Fashion-MNIST. */
    public static final Augmentation SHIFT_AND_FLIP = new Augmentation(2, true);

    public Augmentation {
        if (maxShift < 0 || maxShift >= Images.ROWS) throw new IllegalArgumentException("maxShift must be in [0, 27], got " + maxShift);
    }

    public boolean isNone() {
        return maxShift == 0 && !flip;
    }

    /** Each image shifted by its own random (dy, dx) and maybe flipped; {@code images} itself is unchanged. */
    public Images apply(Images images, Random random) {
        if (isNone()) return images;
        byte[] src = images.pixels();
        byte[] out = new byte[src.length];
        for (int i = 0; i < images.count(); i++) {
            int dy = shift(random), dx = shift(random);
            boolean mirror = flip && random.nextBoolean();
            int base = i * Images.PIXELS;
            for (int r = 0; r < Images.ROWS; r++) {
                int sr = r - dy;
                if (sr < 0 || sr >= Images.ROWS) continue;
                for (int c = 0; c < Images.COLS; c++) {
                    int sc = (mirror ? Images.COLS - 1 - c : c) - dx;
                    if (sc >= 0 && sc < Images.COLS) out[base + r * Images.COLS + c] = src[base + sr * Images.COLS + sc];
                }
            }
        }
        return new Images(out, images.labels());
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
