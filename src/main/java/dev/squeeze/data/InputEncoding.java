package dev.squeeze.data;

import dev.squeeze.SqueezeException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** How a model reads a sample: as itself ({@code [n, C, H, W]}, {@code [n, D]}), or as 28 row tokens with their positions. */
public enum InputEncoding {
    /** {@code [n, ...shape]}: an image {@code [n, C, H, W]}, a row of features {@code [n, D]}. */
    IMAGE,
    /** {@code [n, 56, 28]} (features, time) of a 28x28 grey image: each row's 28 pixels plus a one-hot row position. */
    ROW_TOKENS;

    /** The only shape the row-token (attention) encoding reads. */
    public static final SampleShape ROW_TOKEN_IMAGE = SampleShape.of(1, 28, 28);
    private static final int SIDE = 28;
    public static final int ROW_TOKEN_FEATURES = SIDE + SIDE;

    /** Features of samples {@code [from, to)}, scaled by the images' {@link Scaling}. */
    public INDArray features(Images images, int from, int to) {
        int n = to - from;
        SampleShape shape = images.shape();
        float[] scaled = new float[Math.multiplyExact(n, shape.size())];
        images.decode(from, to, scaled);
        return switch (this) {
            case IMAGE -> {
                long[] dims = new long[shape.rank() + 1];
                dims[0] = n;
                for (int d = 0; d < shape.rank(); d++) dims[d + 1] = shape.dim(d);
                yield Nd4j.create(scaled, dims, 'c');
            }
            case ROW_TOKENS -> {
                if (!shape.equals(ROW_TOKEN_IMAGE)) {
                    throw new SqueezeException("the row-token (attention) encoding reads " + ROW_TOKEN_IMAGE + " grey images, the data gives "
                            + shape + ": use a model that reads images, or data of that shape");
                }
                // layout [n, feature, time]: pixel (r, c) -> feature c at time r; position r -> feature 28 + r at time r
                float[] out = new float[n * ROW_TOKEN_FEATURES * SIDE];
                for (int i = 0; i < n; i++) {
                    int base = i * ROW_TOKEN_FEATURES * SIDE;
                    int src = i * SIDE * SIDE;
                    for (int r = 0; r < SIDE; r++) {
                        for (int c = 0; c < SIDE; c++) out[base + c * SIDE + r] = scaled[src + r * SIDE + c];
                        out[base + (SIDE + r) * SIDE + r] = 1f;
                    }
                }
                yield Nd4j.create(out, new long[]{n, ROW_TOKEN_FEATURES, SIDE}, 'c');
            }
        };
    }

    /** One-hot labels of samples {@code [from, to)}, one column per class of the data. */
    public static INDArray oneHot(Images images, int from, int to) {
        int classes = images.classes();
        int[] labels = images.labels();
        float[] y = new float[(to - from) * classes];
        for (int i = from; i < to; i++) y[(i - from) * classes + labels[i]] = 1f;
        return Nd4j.create(y, new long[]{to - from, classes}, 'c');
    }

    public DataSet batch(Images images, int from, int to) {
        return new DataSet(features(images, from, to), oneHot(images, from, to));
    }
}
