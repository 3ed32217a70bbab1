package dev.squeeze.data;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way data can be wrong is one line naming the file and the fix (the CLI turns it into exit code 2). */
class BadDataTest {
    @TempDir
    static Path shared;
    static Images fashion;

    @TempDir
    Path dir;

    @BeforeAll
    static void readEmbedded() {
        fashion = DataFixtures.embedded(shared);
    }

    /** The one-line message of the SqueezeException {@code run} throws, checked to contain each of {@code parts}. */
    private static String oneLine(Executable run, String... parts) {
        String m = assertThrows(SqueezeException.class, run).getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        for (String p : parts) assertTrue(m.contains(p), "'" + p + "' in: " + m);
        return m;
    }

    @Test
    void corruptImageIsNamedAndSkipBadSkipsAndCountsIt() throws IOException {
        DataFixtures.classFolders(fashion, 0, 30, 28, dir.resolve("imgs"));
        Path bad = dir.resolve("imgs").resolve(DataFixtures.folder(3)).resolve("broken.png");
        Files.write(bad, new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5});
        Path cut = dir.resolve("imgs").resolve(DataFixtures.folder(0)).resolve("cut.png");
        DataFixtures.png(fashion, 0, 28, cut);
        byte[] whole = Files.readAllBytes(cut);
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        String m = oneLine(() -> DataSources.load(dir.resolve("imgs")), "skip_bad", "--skip-bad");
        assertTrue(m.contains(bad.toString()) || m.contains(cut.toString()), m);

        Dataset d = DataSources.load(dir.resolve("imgs"), true);
        assertEquals(30, d.test().images().count());
        assertEquals(2, d.skipped().size(), d.skipped().toString());
        assertTrue(d.skipped().stream().anyMatch(s -> s.file().equals(bad.toString())));

        Path file = DataFixtures.yaml(dir.resolve("skip.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: imgs", "skip_bad: true");
        assertEquals(2, DataSources.load(file).skipped().size(), "skip_bad in the data file");
    }

    @Test
    void mixedSizesWithResizeErrorNameTheFile() throws IOException {
        DataFixtures.greyPng(fashion, 0, dir.resolve("mixed/a.png"));
        DataFixtures.png(fashion, 1, 32, dir.resolve("mixed/b.png"));
        oneLine(() -> DataSources.load(dir.resolve("mixed")), dir.resolve("mixed/b.png").toString(), "32x32", "28x28", "resize");
        Path file = DataFixtures.yaml(dir.resolve("err.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: mixed",
                "labels: none", "input: {shape: [1, 28, 28], resize: error}");
        oneLine(() -> DataSources.load(file), "b.png", "input.shape", "pad");
    }

    @Test
    void csvCellThatIsNotANumberGivesFileLineColumn() throws IOException {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "label,a,b,c\n1,0.5,2,3\n2,1,x7,3\n");
        Path file = DataFixtures.yaml(dir.resolve("csv.yaml"), "schema: squeeze-data/v1", "format: csv", "test: bad.csv", "labels: {column: label}");
        oneLine(() -> DataSources.load(file), csv + ":3:3", "'x7'", "(b)");
        Files.writeString(csv, "label,a,b\n1,0.5,2\n2,1\n");
        oneLine(() -> DataSources.load(file), csv + ":3", "2 cells");
    }

    @Test
    void trainAndTestWithDifferentClassFolders() throws IOException {
        DataFixtures.classFolders(fashion, 0, 40, 28, dir.resolve("train"));
        DataFixtures.classFolders(fashion, 40, 80, 28, dir.resolve("test"));
        Files.createDirectories(dir.resolve("test/Unicorn"));
        DataFixtures.png(fashion, 0, 28, dir.resolve("test/Unicorn/u.png"));
        oneLine(() -> DataSources.load(dir), dir.resolve("test").toString(), "extra [Unicorn]", "same class subfolders");
    }

    @Test
    void labelsRequestedButAbsent() throws IOException {
        // class folders asked for, a flat folder given
        for (int i = 0; i < 3; i++) DataFixtures.greyPng(fashion, i, dir.resolve("flat").resolve(i + ".png"));
        Path folders = DataFixtures.yaml(dir.resolve("f.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: flat", "labels: folders");
        oneLine(() -> DataSources.load(folders), dir.resolve("flat").toString(), "no class subfolders", "labels: none");
        // a CSV label column that is not there
        DataFixtures.csv(fashion, 0, 5, true, dir.resolve("t.csv"));
        Path column = DataFixtures.yaml(dir.resolve("c.yaml"), "schema: squeeze-data/v1", "format: csv", "test: t.csv", "labels: {column: target}");
        oneLine(() -> DataSources.load(column), "t.csv", "'target'", "label, pixel0");
        // an NPY labels file that is not there
        Files.write(dir.resolve("x.npy"), DataFixtures.npyBytes(fashion, 0, 5));
        Path npy = DataFixtures.yaml(dir.resolve("n.yaml"), "schema: squeeze-data/v1", "format: npy", "test: x.npy", "labels: {file: y.npy}");
        oneLine(() -> DataSources.load(npy), dir.resolve("y.npy").toString(), "labels: none");
        // a csv data file without labels at all
        Path none = DataFixtures.yaml(dir.resolve("nl.yaml"), "schema: squeeze-data/v1", "format: csv", "test: t.csv");
        oneLine(() -> DataSources.load(none), "nl.yaml", "labels");
    }

    @Test
    void dataFileKeysAreChecked() throws IOException {
        Path typo = DataFixtures.yaml(dir.resolve("typo.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: t", "lables: folders");
        oneLine(() -> DataSources.load(typo), typo + ":4", "'lables'", "did you mean 'labels'");
        Path inner = DataFixtures.yaml(dir.resolve("inner.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: t",
                "input: {shape: [3, 32, 32], size: 4}");
        oneLine(() -> DataSources.load(inner), "inner.yaml:4", "'size'", "valid keys: shape, scale, mean, std, resize");
        Path format = DataFixtures.yaml(dir.resolve("format.yaml"), "schema: squeeze-data/v1", "format: csvv", "test: t");
        oneLine(() -> DataSources.load(format), "format.yaml:2", "did you mean 'csv'");
        Path resize = DataFixtures.yaml(dir.resolve("resize.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: t", "input: {resize: crop}");
        oneLine(() -> DataSources.load(resize), "resize.yaml", "pad, stretch or error");
        Path schema = DataFixtures.yaml(dir.resolve("schema.yaml"), "schema: squeeze-space/v1", "format: csv", "test: t");
        oneLine(() -> DataSources.load(schema), "schema.yaml:1", "squeeze-data/v1");
        Path mean = DataFixtures.yaml(dir.resolve("mean.yaml"), "schema: squeeze-data/v1", "format: image-folder", "test: t",
                "input: {shape: [3, 32, 32], mean: [0.5, 0.5]}");
        oneLine(() -> DataSources.load(mean), "mean.yaml", "one per channel (3");
    }

    @Test
    void brokenArrayFilesAreNamed() throws IOException {
        byte[] good = DataFixtures.npyBytes(fashion, 0, 5);
        Files.write(dir.resolve("x.npy"), Arrays.copyOf(good, good.length - 100));
        Files.write(dir.resolve("y.npy"), DataFixtures.npyLabels(fashion, 0, 5));
        Path npy = DataFixtures.yaml(dir.resolve("n.yaml"), "schema: squeeze-data/v1", "format: npy", "test: x.npy", "labels: {file: y.npy}");
        oneLine(() -> DataSources.load(npy), dir.resolve("x.npy").toString(), "truncated");
        Files.writeString(dir.resolve("x.npy"), "not numpy at all");
        oneLine(() -> DataSources.load(npy), "x.npy", "not an NPY file");
        Files.write(dir.resolve("x.npy"), DataFixtures.npyBytes(fashion, 0, 4));
        oneLine(() -> DataSources.load(npy), "x.npy", "4 samples", "5");
        Files.write(dir.resolve("x.idx"), new byte[]{0, 0, 8, 3, 0, 0});
        Path idx = DataFixtures.yaml(dir.resolve("i.yaml"), "schema: squeeze-data/v1", "format: idx", "test: x.idx", "labels: none");
        oneLine(() -> DataSources.load(idx), dir.resolve("x.idx").toString(), "truncated");
    }

    @Test
    void missingAndUnrecognisedPlaces() throws IOException {
        oneLine(() -> DataSources.load(dir.resolve("nope")), dir.resolve("nope").toString(), "does not exist", FashionMnist.PACKAGE);
        Files.writeString(dir.resolve("readme.txt"), "hello");
        oneLine(() -> DataSources.load(dir), dir.toString(), "holds no data squeeze recognises", FashionMnist.TEST_IMAGES);
        oneLine(() -> DataSources.load(dir.resolve("readme.txt")), "readme.txt", "squeeze-data/v1");
    }
}
