package dev.squeeze.data;

import java.nio.file.Path;
import java.util.Random;

/**
 * Seeded, disjoint train / calibration / test splits of any {@link Dataset}. With a train and a test split (the 60k
 * and 10k Fashion-MNIST files, {@code train/} and {@code test/} folders), calibration images are drawn from train by
 * seed, unless the source has its own calibration split, and test is the test split. With only one split (the
 * embedded 10k Fashion-MNIST test file, a folder of class subfolders), that split is divided: half of it, at most
 * 5,000, test, then calibration, then the rest for training. The search only ever sees calibration; export's final
 * figure is on test.
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

    /** Loads data from {@code data} (a folder or a {@code squeeze-data/v1} file; null: the lookup order) and splits it. */
    public static DataSplits load(Path data, long seed, int calibrationSize) {
        return of(DataSources.load(data), seed, calibrationSize);
    }

    /**
     * @param seed            the command's seed, unless the data file declares {@code calibration.seed}
     * @param calibrationSize the command's calibration size, unless the data file declares {@code calibration.count}
     */
    public static DataSplits of(Dataset data, long seed, int calibrationSize) {
        if (data.draw().seed() != null) seed = data.draw().seed();
        if (data.draw().count() != null) calibrationSize = data.draw().count();
        if (calibrationSize <= 0) throw new IllegalArgumentException("calibration size must be positive");
        String source = data.format() == DataFormat.FASHION_MNIST ? data.source().kind() : data.format().label() + " (" + data.source().kind() + ")";
        String location = data.source().location();
        if (data.train() != null && data.test() != null) {
            Images trainFile = data.train().images();
            Images test = data.test().images();
            if (data.calibration() != null) {
                Images calibration = shuffled(data.calibration().images(), calibrationSize, seed);
                int[] train = permutation(trainFile.count(), seed);
                return new DataSplits(trainFile, train, calibration, test, new Description(source, location, seed,
                        train.length, calibration.count(), test.count(), data.train().from(), data.calibration().from(), data.test().from()));
            }
            int calib = Math.min(calibrationSize, trainFile.count() / 2);
            int[] perm = permutation(trainFile.count(), seed);
            Images calibration = trainFile.subset(slice(perm, 0, calib));
            int[] train = slice(perm, calib, perm.length);
            return new DataSplits(trainFile, train, calibration, test, new Description(source, location, seed,
                    train.length, calibration.count(), test.count(), data.train().from(), data.train().from(), data.test().from()));
        }
        Dataset.Split pool = data.test() != null ? data.test() : data.train();
        Images all = pool.images();
        int n = all.count();
        int testCount = Math.min(EMBEDDED_TEST, n / 2);
        int[] perm = permutation(n, seed);
        Images test = all.subset(slice(perm, 0, testCount));
        Images calibration;
        String calibrationFrom;
        int trainFrom;
        if (data.calibration() != null) {
            calibration = shuffled(data.calibration().images(), calibrationSize, seed);
            calibrationFrom = data.calibration().from();
            trainFrom = testCount;
        } else {
            int calib = Math.min(Math.min(calibrationSize, EMBEDDED_MAX_CALIBRATION), (n - testCount) / 2);
            calibration = all.subset(slice(perm, testCount, testCount + calib));
            calibrationFrom = pool.from();
            trainFrom = testCount + calib;
        }
        int[] train = slice(perm, trainFrom, perm.length);
        return new DataSplits(all, train, calibration, test, new Description(source, location, seed,
                train.length, calibration.count(), test.count(), pool.from(), calibrationFrom, pool.from()));
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

    /**
     * Up to {@code n} images of a calibration split of its own, in seeded order: its files may come sorted by class,
     * and the rungs take the calibration split's head.
     */
    private static Images shuffled(Images calibration, int n, long seed) {
        return calibration.subset(slice(permutation(calibration.count(), seed), 0, Math.min(n, calibration.count())));
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
