package dev.squeeze.onnx;

import dev.squeeze.data.Images;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.ActivationCalibration;
import dev.squeeze.model.compress.ActivationQuant;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.Importance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Calibrating in ONNX Runtime fixes the same activation quantisers as calibrating in DL4J: the same points, bits
 * and zero points, and scales equal up to the two runtimes' float rounding of the activations.
 */
class OnnxCalibratorTest {
    @ParameterizedTest
    @CsvSource({"fashion-cnn, w8a8p0.25, minmax", "fashion-cnn, w4a4, minmax", "fashion-cnn, w8a8, percentile",
            "fashion-cnn, w8a16, minmax", "fashion-attention, w8a8, minmax"})
    void sameQuantisersAsDl4j(String model, String plan, String calibration) {
        ModelHandle m = ModelStore.load(model);
        Images images = OnnxFixtures.images(230); // not a multiple of the batch: the last batch is short
        var c = new Compressor(m, new Compressor.Options(Importance.L1, 1, ActivationCalibration.parse(calibration, "test"), 230), images);
        var p = CompressionPlan.uniform(plan).validate(m.graph(), plan);
        var type = dev.squeeze.model.Dl4jGraphs.toInputType(m.graph().inputs().values().iterator().next());
        var pruned = c.prune(p);
        Map<String, ActivationQuant> dl4j = c.quantize(pruned, p, Compressor.DL4J).activations();
        Map<String, ActivationQuant> ort = c.quantize(pruned, p, new OnnxCalibrator(type, 1)).activations();
        assertFalse(dl4j.isEmpty());
        assertEquals(dl4j.keySet(), ort.keySet());
        dl4j.forEach((layer, q) -> {
            ActivationQuant o = ort.get(layer);
            assertEquals(q.bits(), o.bits(), layer);
            assertEquals(q.zeroPoint(), o.zeroPoint(), layer);
            assertEquals(q.scale(), o.scale(), 1e-5 * q.scale(), layer + ": " + q + " vs " + o);
        });
    }
}
