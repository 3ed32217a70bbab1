package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PruningTest {

    /** Physical pruning computes what masking computes, and has exactly the params and MACs LayerGraph predicts. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "fashion-cnn, conv1, 0.5",      // conv channels: conv2 reads fewer inputs, bn1 shrinks
            "fashion-cnn, conv2, 0.375",    // conv channels feeding a flatten: dense1 loses 49 rows per channel
            "fashion-cnn, dense1, 0.75",    // dense units
            "fashion-attention, attention, 0.5", // heads: Q/K/V/O together
            "fashion-attention, dense1, 0.5",
    })
    void physicalEqualsMaskedAndMatchesTheGraph(String model, String layer, double ratio) {
        ModelHandle m = ModelStore.load(model);
        MultiLayerNetwork net = m.multiLayer();
        INDArray before = net.params().dup();
        var plan = new CompressionPlan(CompressionPlan.NONE, Map.of(layer, new CompressionPlan.LayerPlan(ratio, 32, 32)),
                CompressionPlan.Distillation.DEFAULT).validate(m.graph(), "test");
        Images calib = TestData.splits().calibration();
        var selection = UnitSelection.of(m.graph(), plan, Importance.L1.order(net, m.graph(), null, m.encoding()), 1);

        MultiLayerNetwork masked = Pruning.masked(net, m.graph(), selection);
        MultiLayerNetwork physical = Pruning.physical(net, m.graph(), selection);

        INDArray x = m.encoding().features(calib, 0, 300);
        INDArray zMasked = logits(masked, x), zPhysical = logits(physical, x);
        double diff = zMasked.sub(zPhysical).amaxNumber().doubleValue();
        System.out.printf("%s %s pruned %.3f: max |logit difference| physical vs masked %.2e, params %,d -> %,d%n", model, layer, ratio, diff,
                m.graph().params(), m.graph().pruned(plan, 1).params());
        assertTrue(diff <= 1e-4, "max |logit difference| " + diff);
        assertTrue(logits(net, x).sub(zMasked).amaxNumber().doubleValue() > 1e-3, "pruning changed nothing");

        LayerGraph predicted = m.graph().pruned(plan, 1);
        LayerGraph actual = Dl4jGraphs.of(model, physical, m.graph().inputs().values().iterator().next());
        assertEquals(predicted.params(), actual.params());
        assertEquals(predicted.macs(), actual.macs());
        assertEquals(predicted.params(), physical.numParams() - bnBuffers(physical));
        assertTrue(predicted.params() < m.graph().params());
        assertTrue(predicted.sameStructure(actual), () -> predicted.nodes() + "\n" + actual.nodes());
        assertArrayEquals(before.toFloatVector(), net.params().toFloatVector(), "the input network was modified");
    }

    /** Logits: the output layer's pre-softmax values, where a difference is not hidden by saturation. */
    static INDArray logits(MultiLayerNetwork net, INDArray x) {
        var acts = net.feedForward(x, false);
        var out = net.getOutputLayer();
        return acts.get(acts.size() - 2).mmul(out.getParam("W")).addiRowVector(out.getParam("b"));
    }

    /** BatchNorm running mean and variance are DL4J parameters but not learnable ones. */
    private static long bnBuffers(MultiLayerNetwork net) {
        long n = 0;
        for (var l : net.getLayers()) {
            if (l instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization) n += l.numParams() / 2;
        }
        return n;
    }
}
