package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.Values;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import dev.squeeze.onnx.OnnxRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.squeeze.cli.CliTest.squeeze;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's label-free acceptance, as a user runs it: a flat folder of images with no class subfolders (so no labels),
 * searched with {@code --objectives agreement,latency_ms}, then reported and exported. The recovered rung and the
 * export's fine-tune distil without labels; the manifest names the metric, has no accuracy, and ONNX Runtime's
 * agreement of the exported file with the uncompressed model equals the manifest's. An accuracy objective on the same
 * data is refused in one line.
 */
class LabelFreeSearchTest {
    static final int IMAGES = 800;

    @TempDir
    Path dir;

    @Test
    void searchReportAndExportOnAnUnlabelledFolder() throws Exception {
        Path data = dir.resolve("unlabelled");
        Files.createDirectories(data);
        Images fashion = TestData.splits().test();
        for (int i = 0; i < IMAGES; i++) png(fashion, i, data);
        Path evaluator = OwnDataAcceptanceTest.smallEvaluator(dir);
        Path results = dir.resolve("results");

        CliTest.Run refused = squeeze("search", "--model", "fashion-cnn", "--data", data.toString(), "--space", "spaces/generic.yaml",
                "--device", "raspberry-pi-4", "--objectives", "accuracy,latency_ms", "--generations", "1", "--population", "4",
                "--evaluator", evaluator.toString(), "--results", results.toString(), "--run-id", "refused", "--quiet");
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().strip().lines().count() == 1 && refused.err().contains("objective accuracy needs labels")
                && refused.err().contains("--objectives agreement,latency_ms"), refused.err());

        CliTest.Run search = squeeze("search", "--model", "fashion-cnn", "--data", data.toString(), "--space", "spaces/generic.yaml",
                "--device", "raspberry-pi-4", "--objectives", "agreement,latency_ms", "--generations", "2", "--population", "8",
                "--evaluator", evaluator.toString(), "--threads", "1", "--results", results.toString(), "--run-id", "free", "--quiet");
        assertEquals(0, search.code(), search.err());
        JsonNode front = Json.json().readTree(results.resolve("free/front.json").toFile());
        assertTrue(front.toString().contains("\"agreement\""), "front.json names the metric");
        assertTrue(!front.toString().contains("\"accuracy\""), "and holds no accuracy: there are no labels to measure it on");

        CliTest.Run report = squeeze("report", "free", "--results", results.toString());
        assertEquals(0, report.code(), report.err());
        assertTrue(report.out().contains("agreement"), report.out());

        // the fastest plan, not the best one: that is a baseline, which agrees with the uncompressed model by construction
        CliTest.Run export = squeeze("export", "free", "--best", "latency_ms", "--data", data.toString(), "--results", results.toString());
        assertEquals(0, export.code(), export.err());
        Path exported = Files.list(results.resolve("free/exports")).findFirst().orElseThrow();
        JsonNode manifest = Json.json().readTree(exported.resolve("manifest.json").toFile());
        assertEquals("agreement", manifest.at("/quality/metric").asText(), manifest.toString());
        assertTrue(manifest.get("accuracy") == null || manifest.get("accuracy").isNull(), manifest.toString());
        assertEquals("agreement", manifest.at("/finetune/metric").asText());
        assertTrue(manifest.at("/finetune/fine_tuned").isNumber(), "the fine-tune ran, distilling without labels: " + manifest.get("finetune"));

        Images test = DataSplits.load(data, 42, 150).test();
        ModelHandle model = ModelStore.load("fashion-cnn");
        var encoded = Accuracy.Encoded.of(test, model.encoding());
        int[] uncompressed = encoded.predictions(f -> Accuracy.predict(model.network(), f));
        try (OnnxRunner runner = OnnxRunner.of(exported.resolve("model.onnx"), 1)) {
            double agreement = Accuracy.share(encoded.predictions(runner::predict), uncompressed);
            System.out.printf("label-free: exported %s, ONNX Runtime agreement with the uncompressed model %.4f on %d test images, manifest %s%n",
                    exported.getFileName(), agreement, test.count(), manifest.get("quality"));
            assertEquals(manifest.at("/quality/onnxruntime").asDouble(), agreement, 1e-12);
        }
    }

    /** Image {@code i} as a 28x28 grey PNG straight in {@code dir}: no class subfolder, so no label. */
    private static void png(Images images, int i, Path dir) throws Exception {
        byte[] px = ((Values.Bytes) images.values()).values();
        int side = FashionMnist.SIDE;
        var img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int v = px[i * side * side + y * side + x] & 0xff;
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        assertTrue(ImageIO.write(img, "png", dir.resolve(String.format("%05d.png", i)).toFile()));
    }
}
