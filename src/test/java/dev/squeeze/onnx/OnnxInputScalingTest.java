package dev.squeeze.onnx;

import dev.squeeze.data.Images;
import dev.squeeze.data.Scaling;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.ActivationQuant;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.Deployment;
import dev.squeeze.model.compress.Topology;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data's scaling reaches ONNX Runtime as it reaches DL4J: a w8a8 fashion-cnn whose inputs are bytes under another
 * scale, mean and std agrees with its simulation, with the input quantised on the data's own grid when there is one
 * (a whole zero point) and left float when there is none (a zero point between levels, or a mean per channel).
 */
class OnnxInputScalingTest {
    static final int IMAGES = 1000;

    @ParameterizedTest(name = "scale {0} mean {1} std {2}")
    @CsvSource({"0.00392156862745098, 0, 1, 255, 0", "0.00392156862745098, 0.5019607843137255, 0.5, 127.5, 128", "0.00392156862745098, 0.5, 0.25, 0, -1"})
    void simulationAndOnnxRuntimeReadTheSameInputs(double scale, double mean, double std, double levelsPerUnit, int zeroPoint) {
        ModelHandle m = ModelStore.load("fashion-cnn");
        Scaling scaling = new Scaling(scale, List.of(mean), List.of(std));
        Images test = OnnxFixtures.images(IMAGES).withScaling(scaling);
        Images calibration = dev.squeeze.model.TestData.splits().calibration().withScaling(scaling);
        ActivationQuant grid = Deployment.gridOf(test, m.encoding());
        if (zeroPoint < 0) {
            assertNull(grid, "mean / scale = 127.5 is no whole level: the input stays float");
        } else {
            assertEquals(zeroPoint, grid.zeroPoint());
            assertEquals(1 / levelsPerUnit, grid.scale(), 1e-7);
        }
        INDArray x = m.encoding().features(test, 0, IMAGES);
        try (CompressedModel c = new Compressor(m, Compressor.Options.DEFAULT, calibration).apply(CompressionPlan.uniform("w8a8"))) {
            var deployment = Deployment.of(Topology.of(c.network()), c.weights(), c.activations());
            assertEquals(grid, deployment.inputGrid());
            assertEquals(grid == null ? Deployment.Form.FLOAT : Deployment.Form.INT8, deployment.form("conv1", "W"));
            byte[] onnx = OnnxWriter.write(c, OnnxFixtures.IMAGE);
            int[] simulated = dev.squeeze.model.Accuracy.classes(c.output(x)), ort;
            try (var r = OnnxRunner.of(onnx, 2)) {
                ort = dev.squeeze.model.Accuracy.classes(r.output(x));
            }
            double agree = dev.squeeze.model.Accuracy.share(simulated, ort);
            List<String> ops = OnnxRunner.optimisedOps(onnx);
            System.out.printf("fashion-cnn w8a8, inputs (b * %.6f - %.4f) / %.4f: %.2f%% of %d predictions agree; input grid %s; ONNX Runtime runs %s%n",
                    scale, mean, std, 100 * agree, IMAGES, grid, ops);
            assertTrue(agree >= 0.995, "agreement " + agree);
            assertEquals(grid == null ? 1 : 2, ops.stream().filter(o -> o.equals("QLinearConv")).count(), ops.toString());
        }
    }
}
