package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.data.DataFixtures;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.data.SampleShape;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.Signature;
import dev.squeeze.model.TestData;
import dev.squeeze.onnx.OnnxRunner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static dev.squeeze.cli.CliTest.squeeze;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's CSV and NPY acceptance, as a new user runs it: Fashion-MNIST flattened into a CSV of 785 columns (a label,
 * then 784 grey levels) and into NPY arrays ({@code [n, 784]} floats, {@code int64} labels); {@code squeeze train --arch
 * mlp} on the CSV, then search with the generic space and export on each, ONNX Runtime's accuracy of every exported file
 * equal to its manifest's; the NPY run searches the same network as a plain DL4J zip without squeeze's card (issue 17
 * item 4), and its export writes the card. Small for CI: 400 train and 200 test rows, two generations of eight plans.
 */
class TabularDataAcceptanceTest {
    static final int TRAIN = 400, TEST = 200;

    @TempDir
    static Path dir;
    /** The MLP as squeeze wrote it, and the same network as a plain DL4J zip, without squeeze's card. */
    static Path model, plain, evaluator;

    @BeforeAll
    static void trainAnMlpOnTheCsv() throws Exception {
        Images fashion = TestData.splits().test();
        DataFixtures.csv(fashion, 0, TRAIN, true, dir.resolve("train.csv"));
        DataFixtures.csv(fashion, TRAIN, TRAIN + TEST, true, dir.resolve("test.csv"));
        DataFixtures.yaml(dir.resolve("csv.yaml"), "schema: squeeze-data/v1", "format: csv", "train: train.csv", "test: test.csv",
                "labels: {column: label}", "input: {scale: 0.00392156862745098}");
        Files.write(dir.resolve("x_train.npy"), DataFixtures.npyFloats(fashion, 0, TRAIN));
        Files.write(dir.resolve("y_train.npy"), DataFixtures.npyLabels(fashion, 0, TRAIN));
        Files.write(dir.resolve("x_test.npy"), DataFixtures.npyFloats(fashion, TRAIN, TRAIN + TEST));
        Files.write(dir.resolve("y_test.npy"), DataFixtures.npyLabels(fashion, TRAIN, TRAIN + TEST));
        DataFixtures.yaml(dir.resolve("npy.yaml"), "schema: squeeze-data/v1", "format: npy",
                "train: {features: x_train.npy, labels: y_train.npy}", "test: {features: x_test.npy, labels: y_test.npy}",
                "input: {scale: 0.00392156862745098}");
        evaluator = OwnDataAcceptanceTest.smallEvaluator(dir);

        model = dir.resolve("mlp.zip");
        CliTest.Run train = squeeze("train", "--arch", "mlp", "--data", dir.resolve("csv.yaml").toString(), "--epochs", "10",
                "--out", model.toString());
        assertEquals(0, train.code(), train.err());
        assertEquals(new Signature(SampleShape.of(784), 10), ModelStore.load(model.toString()).signature());
        plain = dir.resolve("plain-mlp.zip");
        try (var in = new ZipInputStream(Files.newInputStream(model)); var out = new ZipOutputStream(Files.newOutputStream(plain))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(ModelStore.CARD_ENTRY)) continue;
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
            }
        }
    }

    @Test
    void csvOf785ColumnsSearchesAndExports() throws Exception {
        searchAndExport(model, "csv.yaml", "csv");
    }

    @Test
    void npyArraysSearchAndExportAModelWithoutACard() throws Exception {
        Path exported = searchAndExport(plain, "npy.yaml", "npy");
        var card = ModelStore.load(exported.resolve("model.zip").toString()).card();
        JsonNode manifest = Json.json().readTree(exported.resolve("manifest.json").toFile());
        assertEquals(java.util.List.of(784), card.inputShape(), "the card written beside the export says what the model reads");
        assertEquals(manifest.at("/accuracy/dl4j").asDouble(), card.testAccuracy(), 1e-12, "and what was measured");
    }

    @Test
    void theMlpRefusesImagesInOneLine() {
        CliTest.Run train = squeeze("train", "--arch", "mlp", "--epochs", "1", "--out", dir.resolve("no.zip").toString());
        assertEquals(2, train.code(), train.err());
        assertTrue(train.err().strip().lines().count() == 1 && train.err().contains("--arch cnn"), train.err());
    }

    /** Search and export of {@code net} on {@code dataFile}; returns the export's folder. */
    private static Path searchAndExport(Path net, String dataFile, String run) throws Exception {
        Path data = dir.resolve(dataFile), results = dir.resolve("results");
        CliTest.Run search = squeeze("search", "--model", net.toString(), "--data", data.toString(), "--space", "spaces/generic.yaml",
                "--device", "raspberry-pi-4", "--generations", "2", "--population", "8", "--evaluator", evaluator.toString(),
                "--threads", "1", "--results", results.toString(), "--run-id", run, "--quiet");
        assertEquals(0, search.code(), search.err());
        assertTrue(Files.size(results.resolve(run + "/front.json")) > 0);

        CliTest.Run export = squeeze("export", run, "--best", "accuracy", "--epochs", "0", "--data", data.toString(),
                "--results", results.toString());
        assertEquals(0, export.code(), export.err());
        Path exported = Files.list(results.resolve(run + "/exports")).findFirst().orElseThrow();
        JsonNode manifest = Json.json().readTree(exported.resolve("manifest.json").toFile());
        Images test = DataSplits.load(data, 42, 150).test();
        assertEquals(TEST, test.count());
        try (OnnxRunner runner = OnnxRunner.of(exported.resolve("model.onnx"), 1)) {
            double ort = runner.accuracy(test, ModelStore.load(net.toString()).encoding());
            System.out.printf("%s: exported %s, ONNX Runtime test accuracy %.4f, manifest %s%n", dataFile, exported.getFileName(), ort,
                    manifest.get("accuracy"));
            assertEquals(manifest.at("/accuracy/onnxruntime").asDouble(), ort, 1e-12);
        }
        return exported;
    }
}
