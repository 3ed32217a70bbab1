package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.Backend;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch norm statistics re-estimated after pruning, on the shipped fashion-resnet and the embedded data. */
class BatchNormRecalibrationTest {
    @Test
    void aHalfPrunedResnetReadsAboveChanceOnceItsBatchNormsAreReEstimated() {
        Backend.init();
        ModelHandle m = ModelStore.load("fashion-resnet");
        Images calibration = TestData.splits().calibration();
        Images test = TestData.splits().test();
        CompressionPlan plan = CompressionPlan.uniform("w32a32p0.5");
        var plain = new Compressor(m, new Compressor.Options(Importance.L1, 1, ActivationCalibration.MINMAX, 500), calibration).prune(plan);
        var recalibrated = new Compressor(m, new Compressor.Options(Importance.L1, 1, ActivationCalibration.MINMAX, 500, true), calibration)
                .prune(plan);
        double before = Accuracy.of(plain.network(), test, m.encoding());
        double after = Accuracy.of(recalibrated.network(), test, m.encoding());
        System.out.printf("fashion-resnet w32a32p0.5 on %d test images: %.4f as pruned, %.4f with batch norms re-estimated%n",
                test.count(), before, after);
        assertTrue(after > before + 0.1, before + " -> " + after);

        // the first batch norm reads the stem convolution alone: its mean is that output's per-channel mean on the images
        Images used = calibration.head(500);
        INDArray x = m.encoding().features(used, 0, used.count());
        ComputationGraph g = (ComputationGraph) recalibrated.network();
        INDArray stem = g.feedForward(x, false).get("stem.conv");
        float[] expected = Tensors.flat(stem.mean(0, 2, 3));
        float[] actual = Tensors.flat(g.getLayer("stem.bn").getParam("mean"));
        assertArrayEquals(expected, actual, 1e-4f);
        Backend.release(x);
    }
}
