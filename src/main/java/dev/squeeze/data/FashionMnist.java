package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fashion-MNIST, one data source among others (see {@link DataSources}) and the default one: 28x28 grey images,
 * {@link #SHAPE} {@code [1, 28, 28]}, of {@link #CLASS_NAMES 10 classes}. Lookup order: an explicit directory ({@code --data}), the
 * {@code SQUEEZE_DATA} environment variable, the Debian package {@code dataset-fashion-mnist}, then the
 * 10k test split embedded in squeeze. The 60k training split is used when the chosen place has it.
 * {@code SQUEEZE_DATA=embedded} skips every location and reads the embedded split, as a machine without the
 * package would: CI runs the suite once that way, so the README's set-up is the one it proves.
 */
public final class FashionMnist {
    public static final String ENV = "SQUEEZE_DATA";
    public static final Path PACKAGE_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String PACKAGE = "dataset-fashion-mnist";
    /** The {@value #ENV} value that selects the embedded split whatever is installed. */
    public static final String EMBEDDED_ONLY = "embedded";
    static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);
    private static final String EMBEDDED = "/data/";
    /** Rows and columns of an image. */
    public static final int SIDE = 28;
    public static final SampleShape SHAPE = SampleShape.of(1, SIDE, SIDE);
    /** The dataset's classes, in label order. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final int CLASSES = CLASS_NAMES.size();

    private static final Map<String, Dataset> CACHE = new ConcurrentHashMap<>();

    private FashionMnist() {}

    /** Fashion-MNIST images: grey levels {@code [1, 28, 28]} as stored, scaled to [0, 1]. */
    public static Images images(byte[] pixels, int[] labels) {
        return new Images(SHAPE, new Values.Bytes(pixels), labels, CLASS_NAMES, Scaling.UNIT_BYTES);
    }

    /** Whether {@code dir} holds any of the four Fashion-MNIST files (then it is read as Fashion-MNIST). */
    static boolean looksLike(Path dir) {
        return FILES.stream().anyMatch(f -> Files.isRegularFile(dir.resolve(f)));
    }

    /**
     * Loads from the first place in the lookup order.
     *
     * @param explicitDir the {@code --data} directory, or null
     */
    public static Dataset load(Path explicitDir) {
        return load(locate(explicitDir, System.getenv(ENV)));
    }

    /** Reads the files of a folder named by {@code how} ({@code --data}, {@code SQUEEZE_DATA}, a data file). */
    static Dataset load(String how, Path dir) {
        return load(directory(how, dir));
    }

    private static Dataset load(DataSource source) {
        return CACHE.computeIfAbsent(source.kind() + ":" + source.location(), k -> read(source));
    }

    static DataSource locate(Path explicitDir, String env) {
        if (explicitDir != null) return directory("--data", explicitDir);
        if (EMBEDDED_ONLY.equals(env)) return embedded();
        if (env != null && !env.isBlank()) return directory(ENV, Path.of(env));
        if (Files.isRegularFile(PACKAGE_DIR.resolve(TEST_IMAGES))) {
            return new DataSource("package", PACKAGE_DIR.toString(), Files.isRegularFile(PACKAGE_DIR.resolve(TRAIN_IMAGES)));
        }
        return embedded();
    }

    private static DataSource embedded() {
        return new DataSource("embedded", "classpath:" + EMBEDDED, false);
    }

    private static DataSource directory(String how, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SqueezeException("data directory " + dir + " (from " + how + ") does not exist: "
                    + "install the Fashion-MNIST files there, or apt-get install " + PACKAGE + " and drop " + how);
        }
        for (String f : new String[]{TEST_IMAGES, TEST_LABELS}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new SqueezeException("data directory " + dir + " (from " + how + ") has no " + f
                        + ": copy the four Fashion-MNIST .gz files there (apt-get install " + PACKAGE + " puts them in " + PACKAGE_DIR + ")");
            }
        }
        boolean train = Files.isRegularFile(dir.resolve(TRAIN_IMAGES)) && Files.isRegularFile(dir.resolve(TRAIN_LABELS));
        return new DataSource(how, dir.toString(), train);
    }

    private static Dataset read(DataSource source) {
        Images test = pair(source, TEST_IMAGES, TEST_LABELS);
        Images train = source.hasTrain() ? pair(source, TRAIN_IMAGES, TRAIN_LABELS) : null;
        return new Dataset(DataFormat.FASHION_MNIST, source, train == null ? null : new Dataset.Split(train, TRAIN_IMAGES), null,
                new Dataset.Split(test, TEST_IMAGES), Dataset.Draw.COMMAND, List.of());
    }

    private static Images pair(DataSource source, String imagesFile, String labelsFile) {
        IdxReader.Idx px;
        int[] labels;
        String images = where(source, imagesFile), labelled = where(source, labelsFile);
        try (InputStream im = open(source, imagesFile); InputStream lb = open(source, labelsFile)) {
            px = IdxReader.read(im, images, IdxReader.FIX);
            labels = IdxReader.labels(lb, labelled, IdxReader.FIX);
        } catch (IOException e) {
            throw new SqueezeException("cannot read Fashion-MNIST from " + source.location() + ": " + e.getMessage());
        }
        int[] d = px.dims();
        IdxReader.check(px.values() instanceof Values.Bytes && d.length == 3, images, "is not an IDX file of byte images", IdxReader.FIX);
        IdxReader.check(d[1] == SHAPE.dim(1) && d[2] == SHAPE.dim(2), images, "holds " + d[1] + "x" + d[2] + " images, expected 28x28", IdxReader.FIX);
        for (int l : labels) IdxReader.check(l < CLASSES, labelled, "has label " + l + " outside 0..9", IdxReader.FIX);
        if (d[0] != labels.length) {
            throw new SqueezeException(images + " holds " + d[0] + " images but " + labelsFile + " holds " + labels.length + " labels: " + IdxReader.FIX);
        }
        return images(((Values.Bytes) px.values()).values(), labels);
    }

    private static String where(DataSource source, String file) {
        return source.kind().equals("embedded") ? "embedded " + file : Path.of(source.location(), file).toString();
    }

    private static InputStream open(DataSource source, String file) throws IOException {
        if (source.kind().equals("embedded")) {
            InputStream in = FashionMnist.class.getResourceAsStream(EMBEDDED + file);
            if (in == null) throw new SqueezeException("the embedded copy of " + file + " is missing from this build: rebuild squeeze");
            return in;
        }
        return Files.newInputStream(Path.of(source.location(), file));
    }
}
