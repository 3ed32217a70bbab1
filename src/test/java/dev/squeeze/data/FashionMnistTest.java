package dev.squeeze.data;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FashionMnistTest {
    private static final int PIXELS = FashionMnist.SHAPE.size();

    private static byte[] pixels(Images img) {
        return ((Values.Bytes) img.values()).values();
    }

    @TempDir
    Path dir;

    @Test
    void embeddedTestSplitLoadsAndIsTheRealData() throws IOException {
        Path copy = dir.resolve("embedded");
        Files.createDirectories(copy);
        for (String f : new String[]{FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS}) {
            try (InputStream in = FashionMnist.class.getResourceAsStream("/data/" + f)) {
                Files.copy(in, copy.resolve(f));
            }
        }
        var loaded = FashionMnist.load(copy);
        assertEquals(10_000, loaded.test().images().count());
        assertEquals(null, loaded.train());
        int[] perClass = new int[10];
        for (int l : loaded.test().images().labels()) perClass[l]++;
        for (int c : perClass) assertEquals(1000, c, "Fashion-MNIST's test split has 1,000 images per class");
        assertEquals(9, loaded.test().images().labels()[0], "the first test image is an ankle boot (class 9)");
    }

    @Test
    void splitsAreSeededAndDisjoint() {
        byte[] px = new byte[300 * PIXELS];
        int[] labels = new int[300];
        for (int i = 0; i < 300; i++) {
            labels[i] = i % 10;
            identify(px, i);
        }
        var data = fashion(new DataSource("test", "memory", true), FashionMnist.images(px, labels), FashionMnist.images(px.clone(), labels.clone()));
        DataSplits a = DataSplits.of(data, 7, 50), b = DataSplits.of(data, 7, 50), c = DataSplits.of(data, 8, 50);
        assertArrayEquals(pixels(a.calibration()), pixels(b.calibration()));
        assertFalse(Arrays.equals(pixels(a.calibration()), pixels(c.calibration())));
        var train = ids(a.train());
        var calib = ids(a.calibration());
        assertEquals(250, train.size());
        assertEquals(50, calib.size());
        calib.retainAll(train);
        assertTrue(calib.isEmpty(), "train and calibration overlap");
        assertEquals(7, a.description().seed());
        assertArrayEquals(pixels(a.train().head(40)), pixels(b.trainHead(40)), "trainHead is the train split's head");
        assertArrayEquals(a.train().labels(), b.trainHead(1000).labels());
    }

    @Test
    void embeddedOnlySplitsDivideTheTestFile() {
        byte[] px = new byte[10_000 * PIXELS];
        int[] labels = new int[10_000];
        for (int i = 0; i < labels.length; i++) identify(px, i);
        var data = fashion(new DataSource("embedded", "classpath:/data/", false), null, FashionMnist.images(px, labels));
        DataSplits s = DataSplits.of(data, 1, 5000);
        assertEquals(5000, s.test().count());
        assertEquals(2000, s.calibration().count());
        assertEquals(3000, s.train().count());
        var all = ids(s.test());
        all.addAll(ids(s.calibration()));
        all.addAll(ids(s.train()));
        assertEquals(10_000, all.size(), "the three splits must not share an image");
    }

    /** {@code SQUEEZE_DATA=embedded} reads the embedded split even where the package or a directory is there. */
    @Test
    void embeddedSwitchSkipsEveryLocation() throws IOException {
        for (String f : new String[]{FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS}) Files.write(dir.resolve(f), gzip(idxLabels(1)));
        DataSource s = FashionMnist.locate(null, FashionMnist.EMBEDDED_ONLY);
        assertEquals("embedded", s.kind());
        assertFalse(s.hasTrain());
        assertEquals("--data", FashionMnist.locate(dir, FashionMnist.EMBEDDED_ONLY).kind(), "an explicit --data still wins");
    }

    @Test
    void missingDirectoryNamesPathAndPackage() {
        Path missing = dir.resolve("nope");
        var e = assertThrows(SqueezeException.class, () -> FashionMnist.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains(FashionMnist.PACKAGE), e.getMessage());
    }

    @Test
    void directoryWithoutFilesNamesTheFile() {
        var e = assertThrows(SqueezeException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains(FashionMnist.TEST_IMAGES), e.getMessage());
    }

    @Test
    void truncatedIdxFileIsOneLineError() throws IOException {
        byte[] full = gzip(idxImages(5));
        byte[] shortFile = gzip(Arrays.copyOf(idxImages(5), 16 + 3 * PIXELS));
        Files.write(dir.resolve(FashionMnist.TEST_IMAGES), shortFile);
        Files.write(dir.resolve(FashionMnist.TEST_LABELS), gzip(idxLabels(5)));
        var e = assertThrows(SqueezeException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(dir.resolve(FashionMnist.TEST_IMAGES).toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        // the same files, whole, load fine
        Files.write(dir.resolve(FashionMnist.TEST_IMAGES), full);
        Path other = Files.createDirectories(dir.resolve("whole"));
        Files.write(other.resolve(FashionMnist.TEST_IMAGES), full);
        Files.write(other.resolve(FashionMnist.TEST_LABELS), gzip(idxLabels(5)));
        assertEquals(5, FashionMnist.load(other).test().images().count());
    }

    @Test
    void cutGzipStreamIsOneLineError() throws IOException {
        byte[] gz = gzip(idxImages(5));
        Files.write(dir.resolve(FashionMnist.TEST_IMAGES), Arrays.copyOf(gz, gz.length / 2));
        Files.write(dir.resolve(FashionMnist.TEST_LABELS), gzip(idxLabels(5)));
        var e = assertThrows(SqueezeException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains(FashionMnist.TEST_IMAGES), e.getMessage());
    }

    private static Dataset fashion(DataSource source, Images train, Images test) {
        return new Dataset(DataFormat.FASHION_MNIST, source, train == null ? null : new Dataset.Split(train, FashionMnist.TRAIN_IMAGES), null,
                new Dataset.Split(test, FashionMnist.TEST_IMAGES), Dataset.Draw.COMMAND, java.util.List.of());
    }

    /** Image i is identified by its first two pixels. */
    private static void identify(byte[] px, int i) {
        px[i * PIXELS] = (byte) i;
        px[i * PIXELS + 1] = (byte) (i >> 8);
    }

    private static HashSet<Integer> ids(Images images) {
        var s = new HashSet<Integer>();
        byte[] px = pixels(images);
        for (int i = 0; i < images.count(); i++) s.add((px[i * PIXELS] & 0xff) | (px[i * PIXELS + 1] & 0xff) << 8);
        return s;
    }

    private static byte[] idxImages(int n) {
        var b = java.nio.ByteBuffer.allocate(16 + n * PIXELS);
        b.putInt(2051).putInt(n).putInt(28).putInt(28);
        return b.array();
    }

    private static byte[] idxLabels(int n) {
        var b = java.nio.ByteBuffer.allocate(8 + n);
        b.putInt(2049).putInt(n);
        return b.array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }
}
