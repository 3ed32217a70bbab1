package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.Values;
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
 * Issue 17's first acceptance test, as a new user runs it: an image folder that is not Fashion-MNIST's shape (its
 * images as 32x32 RGB PNGs, one subfolder per class, train/ and test/), then train, search with the generic space,
 * report and export, each exiting 0; ONNX Runtime's accuracy of the exported file equals the manifest's. Kept small for
 * CI: 400 train and 200 test images, one epoch, two generations of eight plans, a cheap evaluator.
 */
class OwnDataAcceptanceTest {
    static final int SIDE = 32, TRAIN = 400, TEST = 200;

    @TempDir
    Path dir;

    @Test
    void trainSearchReportAndExportOnA32x32RgbImageFolder() throws Exception {
        Path data = dir.resolve("clothes");
        Images fashion = TestData.splits().test();
        for (int i = 0; i < TRAIN + TEST; i++) png(fashion, i, data.resolve(i < TRAIN ? "train" : "test"));
        Path evaluator = smallEvaluator(dir);

        JsonNode found = squeeze("inspect", "--data", data.toString(), "--json").json();
        assertEquals("[3, 32, 32]", found.get("shape").asText(), found.toString());

        Path model = dir.resolve("resnet.zip");
        CliTest.Run train = squeeze("train", "--arch", "resnet", "--data", data.toString(), "--epochs", "1", "--out", model.toString());
        assertEquals(0, train.code(), train.err());
        assertEquals(new dev.squeeze.model.Signature(dev.squeeze.data.SampleShape.of(3, SIDE, SIDE), 10),
                ModelStore.load(model.toString()).signature());

        Path results = dir.resolve("results");
        CliTest.Run search = squeeze("search", "--model", model.toString(), "--data", data.toString(), "--space", "spaces/generic.yaml",
                "--device", "raspberry-pi-4", "--generations", "2", "--population", "8", "--evaluator", evaluator.toString(),
                "--threads", "1", "--results", results.toString(), "--run-id", "own", "--quiet");
        assertEquals(0, search.code(), search.err());
        assertTrue(Files.size(results.resolve("own/front.json")) > 0);

        CliTest.Run report = squeeze("report", "own", "--results", results.toString());
        assertEquals(0, report.code(), report.err());

        CliTest.Run export = squeeze("export", "own", "--best", "accuracy", "--data", data.toString(), "--results", results.toString());
        assertEquals(0, export.code(), export.err());
        Path exported = Files.list(results.resolve("own/exports")).findFirst().orElseThrow();
        JsonNode manifest = Json.json().readTree(exported.resolve("manifest.json").toFile());
        Images test = DataSplits.load(data, 42, 150).test();
        assertEquals(TEST, test.count());
        try (OnnxRunner runner = OnnxRunner.of(exported.resolve("model.onnx"), 1)) {
            double ort = runner.accuracy(test, ModelStore.load(model.toString()).encoding());
            System.out.printf("own data: exported %s, ONNX Runtime test accuracy %.4f, manifest %s%n", exported.getFileName(), ort,
                    manifest.get("accuracy"));
            assertEquals(manifest.at("/accuracy/onnxruntime").asDouble(), ort, 1e-12);
        }
        assertTrue(manifest.get("agreement").asDouble() >= 0.995, manifest.get("agreement").toString());
    }

    /**
     * The cheap evaluator the own-data acceptance tests search with, as {@code dir/small.yaml}: 150 calibration images,
     * a recovered rung of 10 steps for one plan.
     */
    static Path smallEvaluator(Path dir) throws java.io.IOException {
        return Files.writeString(dir.resolve("small.yaml"), """
                schema: squeeze-evaluator/v1
                data: {seed: 42, calibration: 150}
                pruning: {importance: l1}
                activations: {calibration: minmax}
                fidelity:
                  predicted: {screen_drop: 0.5}
                  measured: {images: 150}
                  recovered: {steps: 10, batch: 32, per_generation: 1, total: 1}
                """);
    }

    /** Image {@code i}'s grey levels centred on a black 32x32 RGB canvas (R = G = B), in its class's subfolder. */
    private static void png(Images images, int i, Path split) throws Exception {
        byte[] px = ((Values.Bytes) images.values()).values();
        int side = FashionMnist.SIDE, off = (SIDE - side) / 2;
        var img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int v = px[i * side * side + y * side + x] & 0xff;
                img.setRGB(x + off, y + off, v << 16 | v << 8 | v);
            }
        }
        String label = FashionMnist.CLASS_NAMES.get(images.labels()[i]).replace('/', '-');
        Path file = Files.createDirectories(split.resolve(label)).resolve(String.format("%05d.png", i));
        assertTrue(ImageIO.write(img, "png", file.toFile()));
    }
}
