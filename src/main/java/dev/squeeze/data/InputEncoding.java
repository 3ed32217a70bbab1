package dev.squeeze.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** How a model reads an image: as a 1x28x28 picture, or as 28 row tokens with their positions. */
public enum InputEncoding {
    /** {@code [n, 1, 28, 28]}. */
    IMAGE,
    /** {@code [n, 56, 28]} (features, time): each row's 28 pixels plus a one-hot row position. */
    ROW_TOKENS;

    public static final int ROW_TOKEN_FEATURES = Images.COLS + Images.ROWS;

    /** Features of images {@code [from, to)}. */
    public INDArray features(Images images, int from, int to) {
        int n = to - from;
        return switch (this) {
            case IMAGE -> {
                float[] px = new float[n * Images.PIXELS];
                for (int i = 0; i < px.length; i++) px[i] = images.pixel(from * Images.PIXELS + i);
                yield Nd4j.create(px, new long[]{n, 1, Images.ROWS, Images.COLS}, 'c');
            }
            case ROW_TOKENS -> {
                // layout [n, feature, time]: pixel (r, c) -> feature c at time r; position r -> feature 28 + r at time r
                float[] out = new float[n * ROW_TOKEN_FEATURES * Images.ROWS];
                for (int i = 0; i < n; i++) {
                    int base = i * ROW_TOKEN_FEATURES * Images.ROWS;
                    int src = (from + i) * Images.PIXELS;
                    for (int r = 0; r < Images.ROWS; r++) {
                        for (int c = 0; c < Images.COLS; c++) {
                            out[base + c * Images.ROWS + r] = images.pixel(src + r * Images.COLS + c);
                        }
                        out[base + (Images.COLS + r) * Images.ROWS + r] = 1f;
                    }
                }
                yield Nd4j.create(out, new long[]{n, ROW_TOKEN_FEATURES, Images.ROWS}, 'c');
            }
        };
    }

    /** One-hot labels of images {@code [from, to)}. */
    public static INDArray oneHot(Images images, int from, int to) {
        float[] y = new float[(to - from) * Images.CLASSES];
        for (int i = from; i < to; i++) y[(i - from) * Images.CLASSES + images.labels()[i]] = 1f;
        return Nd4j.create(y, new long[]{to - from, Images.CLASSES}, 'c');
    }

    public DataSet batch(Images images, int from, int to) {
        return new DataSet(features(images, from, to), oneHot(images, from, to));
    }
}
