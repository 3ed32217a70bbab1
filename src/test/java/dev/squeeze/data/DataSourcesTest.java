package dev.squeeze.data;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static dev.squeeze.data.DataFixtures.PIXELS;
import static dev.squeeze.data.DataFixtures.pixels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each reader on real files written from the embedded Fashion-MNIST test split, read back value for value. */
class DataSourcesTest {
    @TempDir
    static Path shared;
    static Images fashion;

    @TempDir
    Path dir;

    @BeforeAll
    static void readEmbedded() {
        fashion = DataFixtures.embedded(shared);
    }

    /** Folder-order class index of each Fashion-MNIST label: class folders are read in sorted order. */
    private static int[] sortedIndex() {
        List<String> sorted = IntStream.range(0, 10).mapToObj(DataFixtures::folder).sorted().toList();
        return IntStream.range(0, 10).map(l -> sorted.indexOf(DataFixtures.folder(l))).toArray();
    }

    /** Image {@code i} of the fixture padded into {@code [c, 32, 32]}: grey level or 0. */
    private static int padded(int i, int c, int y, int x) {
        int sy = y - 2, sx = x - 2;
        return sy < 0 || sy >= 28 || sx < 0 || sx >= 28 ? 0 : pixels(fashion)[i * PIXELS + sy * 28 + sx] & 0xff;
    }

    @Test
    void imageFolderOfPaddedRgbPngsReadsBackExactly() throws IOException {
        DataFixtures.classFolders(fashion, 0, 200, 32, dir.resolve("train"));
        DataFixtures.classFolders(fashion, 200, 300, 32, dir.resolve("test"));
        Path file = DataFixtures.yaml(dir.resolve("data.yaml"),
                "schema: squeeze-data/v1", "format: image-folder", "train: train", "test: test",
                "input: {shape: [3, 32, 32], scale: 0.00392156862745098, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}");
        Dataset d = DataSources.load(file);
        assertEquals(DataFormat.IMAGE_FOLDER, d.format());
        Images train = d.train().images(), test = d.test().images();
        assertEquals(SampleShape.of(3, 32, 32), train.shape());
        assertEquals(200, train.count());
        assertEquals(100, test.count());
        assertEquals(IntStream.range(0, 10).mapToObj(DataFixtures::folder).sorted().toList(), train.classNames());
        int[] index = sortedIndex();
        // files are read class by class, in name order within a class: rebuild that order from the fixture's labels
        int[] order = IntStream.range(0, 200).boxed().sorted((a, b) -> index[fashion.labels()[a]] != index[fashion.labels()[b]]
                ? Integer.compare(index[fashion.labels()[a]], index[fashion.labels()[b]]) : Integer.compare(a, b)).mapToInt(Integer::intValue).toArray();
        byte[] v = pixels(train);
        for (int k = 0; k < 200; k++) {
            int i = order[k];
            assertEquals(index[fashion.labels()[i]], train.labels()[k], "label of image " + i);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        assertEquals(padded(i, c, y, x), v[k * 3072 + c * 1024 + y * 32 + x] & 0xff, "image " + i + " (" + c + "," + y + "," + x + ")");
                    }
                }
            }
        }
        // the declared scaling reaches the features
        var x = InputEncoding.IMAGE.features(train, 0, 1);
        assertArrayEquals(new long[]{1, 3, 32, 32}, x.shape());
        assertEquals((float) ((padded(order[0], 1, 10, 12) / 255.0 - 0.5) / 0.25), x.getFloat(0, 1, 10, 12), 1e-6f);
        assertEquals(-2f, x.getFloat(0, 0, 0, 0), 1e-6f, "a black border pixel is (0 - 0.5) / 0.25");
    }

    @Test
    void greyPngsArePaddedOrStretchedAsDeclaredAndColourBecomesGrey() throws IOException {
        for (int i = 0; i < 3; i++) DataFixtures.greyPng(fashion, i, dir.resolve("flat").resolve(i + ".png"));
        DataFixtures.png(fashion, 3, 32, dir.resolve("flat").resolve("3.png")); // RGB, already 32x32
        Path file = DataFixtures.yaml(dir.resolve("pad.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: flat",
                "labels: none", "input: {shape: [1, 32, 32], resize: pad}");
        Images flat = DataSources.load(file).test().images();
        assertEquals(4, flat.count());
        assertEquals(false, flat.labelled());
        byte[] v = pixels(flat);
        for (int i = 0; i < 4; i++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) assertEquals(padded(i, 0, y, x), v[i * 1024 + y * 32 + x] & 0xff, "image " + i + " at " + y + "," + x);
            }
        }
        Path stretch = DataFixtures.yaml(dir.resolve("stretch.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: flat",
                "labels: none", "input: {shape: [1, 56, 56], resize: stretch}");
        Images big = DataSources.load(stretch).test().images();
        assertEquals(SampleShape.of(1, 56, 56), big.shape());
        // doubling with bilinear sampling on pixel centres: output (29, 29) samples the source at (14.25, 14.25)
        byte[] p = pixels(fashion);
        double top = 0.75 * (p[14 * 28 + 14] & 0xff) + 0.25 * (p[14 * 28 + 15] & 0xff);
        double bottom = 0.75 * (p[15 * 28 + 14] & 0xff) + 0.25 * (p[15 * 28 + 15] & 0xff);
        assertEquals((int) Math.round(0.75 * top + 0.25 * bottom), pixels(big)[29 * 56 + 29] & 0xff);
        assertEquals(pixels(fashion)[0] & 0xff, pixels(big)[0] & 0xff, "corners keep their value");
    }

    @Test
    void csvWith785ColumnsGivesTheSameFeaturesAsTheIdxFile() throws IOException {
        DataFixtures.csv(fashion, 0, 120, true, dir.resolve("train.csv"));
        DataFixtures.csv(fashion, 120, 180, false, dir.resolve("test.csv"));
        Path file = DataFixtures.yaml(dir.resolve("csv.yaml"), "schema: squeeze-data/v1", "format: csv", "train: train.csv", "test: test.csv",
                "labels: {column: 0}", "input: {shape: [1, 28, 28], scale: 0.00392156862745098}");
        Dataset d = DataSources.load(file);
        Images train = d.train().images(), test = d.test().images();
        assertEquals(120, train.count());
        assertEquals(60, test.count(), "a first row of numbers is data, not a header");
        assertEquals(FashionMnist.SHAPE, train.shape());
        assertArrayEquals(Arrays.copyOf(fashion.labels(), 120), train.labels());
        assertArrayEquals(Arrays.copyOfRange(fashion.labels(), 120, 180), test.labels());
        assertEquals(10, train.classes());
        assertArrayEquals(InputEncoding.IMAGE.features(fashion.head(120), 0, 120).data().asFloat(),
                InputEncoding.IMAGE.features(train, 0, 120).data().asFloat(), "CSV floats scaled as the IDX bytes are");

        Path named = DataFixtures.yaml(dir.resolve("named.yaml"), "schema: squeeze-data/v1", "format: csv", "test: train.csv", "labels: {column: label}");
        Images flat = DataSources.load(named).test().images();
        assertEquals(SampleShape.of(784), flat.shape(), "no input shape: one row of features");
        assertEquals(fashion.values().raw(300), flat.values().raw(300), 0f);
        assertArrayEquals(new long[]{2, 784}, InputEncoding.IMAGE.features(flat, 0, 2).shape());
    }

    @Test
    void csvLabelsMayBeNames() throws IOException {
        Files.writeString(dir.resolve("iris.csv"), "a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n");
        Path file = DataFixtures.yaml(dir.resolve("iris.yaml"), "schema: squeeze-data/v1", "format: csv", "test: iris.csv", "labels: {column: species}");
        Images rows = DataSources.load(file).test().images();
        assertEquals(List.of("setosa", "virginica"), rows.classNames());
        assertArrayEquals(new int[]{0, 1, 0}, rows.labels());
        assertEquals(SampleShape.of(2), rows.shape());
        assertEquals(Scaling.NONE, rows.scaling(), "floats are read as they are unless scale is declared");
    }

    @Test
    void npyAndNpzReadThroughNd4j() throws IOException {
        Files.write(dir.resolve("x_train.npy"), DataFixtures.npyBytes(fashion, 0, 150));
        Files.write(dir.resolve("y_train.npy"), DataFixtures.npyLabels(fashion, 0, 150));
        Files.write(dir.resolve("x_test.npy"), DataFixtures.npyBytes(fashion, 150, 200));
        Files.write(dir.resolve("y_test.npy"), DataFixtures.npyLabels(fashion, 150, 200));
        Path file = DataFixtures.yaml(dir.resolve("npy.yaml"), "schema: squeeze-data/v1", "format: npy",
                "train: {features: x_train.npy, labels: y_train.npy}", "test: {features: x_test.npy, labels: y_test.npy}");
        Dataset d = DataSources.load(file);
        Images train = d.train().images();
        assertEquals(FashionMnist.SHAPE, train.shape(), "[n, 28, 28] samples read as one-channel images");
        assertTrue(train.values() instanceof Values.Bytes, "uint8 stays bytes");
        assertArrayEquals(Arrays.copyOf(pixels(fashion), 150 * PIXELS), pixels(train));
        assertArrayEquals(Arrays.copyOf(fashion.labels(), 150), train.labels());
        assertArrayEquals(Arrays.copyOfRange(fashion.labels(), 150, 200), d.test().images().labels());
        assertEquals(Scaling.UNIT_BYTES.scale(), train.scaling().scale(), 0);

        Path split = Files.createDirectories(dir.resolve("npz"));
        DataFixtures.npz(split.resolve("test.npz"), new String[]{"x", "y"},
                new byte[][]{DataFixtures.npyFloats(fashion, 0, 40), DataFixtures.npyLabels(fashion, 0, 40)});
        Path npz = DataFixtures.yaml(split.resolve("npz.yaml"), "schema: squeeze-data/v1", "format: npy", "test: test.npz", "labels: {file: y}",
                "input: {shape: [1, 28, 28], scale: 0.00392156862745098}");
        Images test = DataSources.load(npz).test().images();
        assertTrue(test.values() instanceof Values.Floats);
        assertArrayEquals(Arrays.copyOf(fashion.labels(), 40), test.labels());
        assertArrayEquals(InputEncoding.IMAGE.features(fashion.head(40), 0, 40).data().asFloat(), InputEncoding.IMAGE.features(test, 0, 40).data().asFloat());
    }

    @Test
    void idxOfAnyDimensionsAndClassCount() throws IOException {
        // 6 samples of [2, 3] shorts, 13 classes, uncompressed
        var b = java.nio.ByteBuffer.allocate(4 + 12 + 6 * 6 * 2);
        b.putInt(0x00000B03).putInt(6).putInt(2).putInt(3);
        for (int i = 0; i < 36; i++) b.putShort((short) (i * 100 - 500));
        Files.write(dir.resolve("x.idx"), b.array());
        var l = java.nio.ByteBuffer.allocate(8 + 6);
        l.putInt(0x00000801).putInt(6).put(new byte[]{0, 12, 3, 3, 7, 1});
        Files.write(dir.resolve("y.idx"), l.array());
        Path file = DataFixtures.yaml(dir.resolve("idx.yaml"), "schema: squeeze-data/v1", "format: idx", "test: x.idx", "labels: {file: y.idx}");
        Images test = DataSources.load(file).test().images();
        assertEquals(SampleShape.of(1, 2, 3), test.shape());
        assertEquals(13, test.classes());
        assertArrayEquals(new int[]{0, 12, 3, 3, 7, 1}, test.labels());
        assertEquals(-500f, test.values().raw(0), 0f);
        assertEquals(3000f, test.values().raw(35), 0f);
    }

    @Test
    void foldersAreRecognisedByLayout() throws IOException {
        // Fashion-MNIST files
        Path fm = Files.createDirectories(dir.resolve("fm"));
        for (String f : List.of(FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS)) {
            try (var in = FashionMnist.class.getResourceAsStream("/data/" + f)) {
                Files.copy(in, fm.resolve(f));
            }
        }
        assertEquals(DataFormat.FASHION_MNIST, DataSources.load(fm).format());

        // train/ + test/ + calibration/ with class subfolders
        Path split = dir.resolve("split");
        DataFixtures.classFolders(fashion, 0, 100, 28, split.resolve("train"));
        DataFixtures.classFolders(fashion, 100, 150, 28, split.resolve("calibration"));
        DataFixtures.classFolders(fashion, 150, 200, 28, split.resolve("test"));
        Dataset s = DataSources.load(split);
        assertEquals(DataFormat.IMAGE_FOLDER, s.format());
        assertEquals(100, s.train().images().count());
        assertEquals(50, s.calibration().images().count());
        assertEquals(SampleShape.of(3, 28, 28), s.test().images().shape(), "RGB PNGs give three channels");
        DataSplits cut = DataSplits.of(s, 42, 30);
        assertEquals(30, cut.calibration().count());
        assertEquals(100, cut.train().count(), "with its own calibration split, all of train trains");
        assertEquals(split.resolve("calibration").toString(), cut.description().calibrationFrom());
        int[] heads = new int[10];
        for (int l : cut.calibration().head(15).labels()) heads[l]++;
        assertTrue(Arrays.stream(heads).filter(n -> n > 0).count() >= 4, "a class-sorted calibration folder is shuffled: " + Arrays.toString(heads));
        assertEquals("image-folder (--data)", cut.description().source());

        // class subfolders directly: one pool, divided by seed
        Path pool = dir.resolve("pool");
        DataFixtures.classFolders(fashion, 0, 300, 28, pool);
        Dataset p = DataSources.load(pool);
        assertNull(p.train());
        assertNotNull(p.test());
        DataSplits a = DataSplits.of(p, 7, 100), b2 = DataSplits.of(p, 7, 100);
        assertEquals(150, a.test().count());
        assertEquals(75, a.calibration().count());
        assertEquals(75, a.train().count());
        assertArrayEquals(pixels(a.calibration()), pixels(b2.calibration()), "seeded");
        assertArrayEquals(p.test().images().perClass(), IntStream.range(0, 10).map(c -> (int) Arrays.stream(Arrays.copyOf(fashion.labels(), 300))
                .filter(l -> sortedIndex()[l] == c).count()).toArray());

        // images directly: unlabelled
        Path flat = dir.resolve("flat");
        for (int i = 0; i < 5; i++) DataFixtures.greyPng(fashion, i, flat.resolve(i + ".png"));
        Dataset f = DataSources.load(flat);
        assertEquals(false, f.test().images().labelled());
        assertEquals(FashionMnist.SHAPE, f.test().images().shape());
    }

    @Test
    void fashionMnistDeclaredTakesItsScaling() throws IOException {
        Path fm = Files.createDirectories(dir.resolve("fm"));
        for (String f : List.of(FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS)) {
            try (var in = FashionMnist.class.getResourceAsStream("/data/" + f)) {
                Files.copy(in, fm.resolve(f));
            }
        }
        Path file = DataFixtures.yaml(dir.resolve("fm.yaml"), "schema: squeeze-data/v1", "format: fashion-mnist", "test: fm",
                "calibration: {from: train, count: 300, seed: 5}", "input: {mean: 0.5, std: 0.5}");
        Dataset d = DataSources.load(file);
        DataSplits s = DataSplits.of(d, 42, 2000);
        assertEquals(300, s.calibration().count(), "the data file's calibration count wins");
        assertEquals(5, s.description().seed());
        assertEquals(-1f, InputEncoding.IMAGE.features(s.test(), 0, 1).getFloat(0, 0, 0, 0), 1e-6f, "(0 - 0.5) / 0.5");
        assertEquals(dev.squeeze.ConfigFiles.sha256(Files.readAllBytes(file)), d.declaration(), "the data file's hash goes into cache keys");
        assertNull(DataSources.load(fm).declaration(), "a folder has no data file");
    }
}
