package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds and loads Fashion-MNIST. Lookup order: an explicit directory ({@code --data}), the
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
    private static final String EMBEDDED = "/data/";

    private static final Map<String, Loaded> CACHE = new ConcurrentHashMap<>();

    /** The raw train and test files as found (train is null when only the test split is available). */
    public record Loaded(DataSource source, Images train, Images test) {}

    private FashionMnist() {}

    /**
     * Loads from the first place in the lookup order.
     *
     * @param explicitDir the {@code --data} directory, or null
     */
    public static Loaded load(Path explicitDir) {
        DataSource source = locate(explicitDir, System.getenv(ENV));
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

    private static Loaded read(DataSource source) {
        Images test = pair(source, TEST_IMAGES, TEST_LABELS);
        Images train = source.hasTrain() ? pair(source, TRAIN_IMAGES, TRAIN_LABELS) : null;
        return new Loaded(source, train, test);
    }

    private static Images pair(DataSource source, String imagesFile, String labelsFile) {
        byte[] px;
        int[] labels;
        try (InputStream im = open(source, imagesFile); InputStream lb = open(source, labelsFile)) {
            px = IdxReader.readImages(im, where(source, imagesFile));
            labels = IdxReader.readLabels(lb, where(source, labelsFile));
        } catch (IOException e) {
            throw new SqueezeException("cannot read Fashion-MNIST from " + source.location() + ": " + e.getMessage());
        }
        if (px.length != labels.length * Images.PIXELS) {
            throw new SqueezeException(where(source, imagesFile) + " holds " + px.length / Images.PIXELS + " images but "
                    + labelsFile + " holds " + labels.length + " labels: " + IdxReader.FIX);
        }
        return new Images(px, labels);
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
