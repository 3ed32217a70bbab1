package dev.squeeze.data;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmentationTest {
    private static final int COLS = FashionMnist.SIDE, PIXELS = COLS * COLS;

    private static byte[] pixels(Images img) {
        return ((Values.Bytes) img.values()).values();
    }

    /** One image with a single lit pixel at (row, col), labelled 7. */
    private static Images dot(int row, int col) {
        byte[] px = new byte[PIXELS];
        px[row * COLS + col] = (byte) 200;
        return FashionMnist.images(px, new int[]{7});
    }

    private static int[] lit(Images img) {
        for (int i = 0; i < PIXELS; i++) if (pixels(img)[i] != 0) return new int[]{i / COLS, i % COLS};
        return null;
    }

    @Test
    void noneReturnsTheImagesThemselves() {
        Images img = dot(3, 4);
        assertSame(img, Augmentation.NONE.apply(img, new Random(1)));
    }

    @Test
    void shiftMovesThePixelByAtMostMaxShiftAndKeepsLabels() {
        Images img = dot(10, 12);
        var seen = new java.util.HashSet<String>();
        Random r = new Random(5);
        for (int i = 0; i < 200; i++) {
            Images out = new Augmentation(2, false).apply(img, r);
            int[] at = lit(out);
            assertTrue(Math.abs(at[0] - 10) <= 2 && Math.abs(at[1] - 12) <= 2, at[0] + "," + at[1]);
            assertEquals((byte) 200, pixels(out)[at[0] * COLS + at[1]]);
            assertArrayEquals(new int[]{7}, out.labels());
            seen.add(at[0] + "," + at[1]);
        }
        assertEquals(25, seen.size(), "every shift in [-2, 2] x [-2, 2] occurs");
        assertArrayEquals(new int[]{10, 12}, lit(img), "the input is unchanged");
    }

    @Test
    void flipMirrorsColumnsAndPixelsShiftedOutAreGone() {
        Images img = dot(5, 0);
        int flipped = 0;
        Random r = new Random(9);
        for (int i = 0; i < 100; i++) {
            int[] at = lit(new Augmentation(0, true).apply(img, r));
            assertEquals(5, at[0]);
            assertTrue(at[1] == 0 || at[1] == COLS - 1, "column " + at[1]);
            if (at[1] != 0) flipped++;
        }
        assertTrue(flipped > 30 && flipped < 70, flipped + " of 100 flipped");
        // a pixel on the edge leaves the image for some shifts: those images are blank
        boolean blank = false;
        for (int i = 0; i < 50 && !blank; i++) blank = lit(new Augmentation(2, false).apply(img, r)) == null;
        assertTrue(blank);
    }

    @Test
    void sameSeedSameImagesAndBadShiftRejected() {
        Images img = dot(14, 14);
        assertArrayEquals(pixels(Augmentation.SHIFT_AND_FLIP.apply(img, new Random(3))), pixels(Augmentation.SHIFT_AND_FLIP.apply(img, new Random(3))));
        assertNotEquals("none", Augmentation.SHIFT_AND_FLIP.toString());
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(-1, false));
    }
}
