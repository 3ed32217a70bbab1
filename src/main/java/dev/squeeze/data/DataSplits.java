package dev.squeeze.data;

import java.nio.file.Path;
import java.util.Random;

/**
 * Seeded, disjoint train / calibration / test splits. With the 60k training file, calibration images
 * are drawn from it and the 10k test file is the test split. With only the 10k test file (the embedded
 * copy), that file is divided: 5,000 test, then calibration, then the rest for training. The search
 * only ever sees calibration; export's final figure is on test.
 */
public final class DataSplits {

    /** Everything needed to rebuild the splits; recorded with every result. */
    public record Description(String source, String location, long seed, int train, int calibration, int test,
                              String trainFrom, String calibrationFrom, String testFrom) {}

    public static final int DEFAULT_CALIBRATION = 5000;
    static final int EMBEDDED_TEST = 5000;
    static final int EMBEDDED_MAX_CALIBRATION = 2000;

    // The train split is copied out of its file only when asked for: at 55,000 images that copy takes most of
    // a second, and a search whose recovered rung fine-tunes on a few thousand never needs it (trainHead).
    private final Images trainFile;
    private final int[] trainIndices;
    private Images train;
    private final Images calibration;
    private final Images test;
    private final Description description;

    private DataSplits(Images trainFile, int[] trainIndices, Images calibration, Images test, Description description) {
        this.trainFile = trainFile;
        this.trainIndices = trainIndices;
        this.calibration = calibration;
        this.test = test;
        this.description = description;
    }

    /** Loads data from the lookup order and splits it. */
    public static DataSplits load(Path dataDir, long seed, int calibrationSize) {
        return of(FashionMnist.load(dataDir), seed, calibrationSize);
    }

    public static DataSplits of(FashionMnist.Loaded data, long seed, int calibrationSize) {
        if (calibrationSize <= 0) throw new IllegalArgumentException("calibration size must be positive");
        DataSource src = data.source();
        if (data.train() != null) {
            int calib = Math.min(calibrationSize, data.train().count() / 2);
            int[] perm = permutation(data.train().count(), seed);
            Images calibration = data.train().subset(slice(perm, 0, calib));
            int[] train = slice(perm, calib, perm.length);
            return new DataSplits(data.train(), train, calibration, data.test(), new Description(src.kind(), src.location(), seed,
                    train.length, calibration.count(), data.test().count(),
                    FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_IMAGES, FashionMnist.TEST_IMAGES));
        }
        int calib = Math.min(calibrationSize, EMBEDDED_MAX_CALIBRATION);
        int[] perm = permutation(data.test().count(), seed);
        Images test = data.test().subset(slice(perm, 0, EMBEDDED_TEST));
        Images calibration = data.test().subset(slice(perm, EMBEDDED_TEST, EMBEDDED_TEST + calib));
        int[] train = slice(perm, EMBEDDED_TEST + calib, perm.length);
        String from = FashionMnist.TEST_IMAGES;
        return new DataSplits(data.test(), train, calibration, test, new Description(src.kind(), src.location(), seed,
                train.length, calibration.count(), test.count(), from, from, from));
    }

    /** The training split, in its seeded order. */
    public synchronized Images train() {
        if (train == null) train = trainFile.subset(trainIndices);
        return train;
    }

    /** The first {@code n} images of {@link #train()} (all of it when it has fewer), without copying the rest. */
    public Images trainHead(int n) {
        return n >= trainIndices.length ? train() : trainFile.subset(slice(trainIndices, 0, n));
    }

    public Images calibration() {
        return calibration;
    }

    public Images test() {
        return test;
    }

    public Description description() {
        return description;
    }

    static int[] permutation(int n, long seed) {
        return permutation(n, new Random(seed));
    }

    /** Fisher-Yates with java.util.Random: stable across JVMs for a given seed. */
    public static int[] permutation(int n, Random r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[] slice(int[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }
}
