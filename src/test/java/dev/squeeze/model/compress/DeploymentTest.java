package dev.squeeze.model.compress;

import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.Deployment.Form;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The form each weight runs in, decided from the network and the plan's bits alone (no ONNX Runtime needed). */
class DeploymentTest {
    private static final Map<String, Integer> ALL_ACTIVATIONS_8 = Map.of("relu1", 8, "relu2", 8, "dense1", 8);

    @Test
    void fashionCnnAtIntegerBitsRunsIntegerKernelsOnThePixelGrid() {
        var conf = Topology.of(ModelStore.load("fashion-cnn").network());
        var d = Deployment.ofBits(conf, weights(4, 4, 4, 2), ALL_ACTIVATIONS_8);
        assertEquals(Deployment.PIXELS, d.inputGrid());
        for (String layer : new String[]{"conv1", "conv2", "dense1", "output"}) assertEquals(Form.INT8, d.form(layer, "W"), layer);
        assertEquals(Map.of(), d.inputQuantisers(Map.of()));
    }

    @Test
    void withoutQuantisedActivationsLowBitWeightsRunFloatOrAsMatMulNBits() {
        var conf = Topology.of(ModelStore.load("fashion-cnn").network());
        var d = Deployment.ofBits(conf, weights(8, 8, 4, 8), Map.of());
        assertNull(d.inputGrid(), "a convolution whose output stays float cannot be an integer kernel, so the input stays float");
        assertEquals(Form.FLOAT, d.form("conv1", "W"));
        assertEquals(Form.NBITS, d.form("dense1", "W"), "4-bit weights on a float input: MatMulNBits");
        assertEquals(Form.FLOAT, d.form("output", "W"));
        // only relu2 quantised: dense1 (after pooling and the reshape) reads its codes, the output layer reads floats
        var some = Deployment.ofBits(conf, weights(8, 8, 4, 4), Map.of("relu2", 6));
        assertEquals(Form.FLOAT, some.form("conv2", "W"));
        assertEquals(Form.INT8, some.form("dense1", "W"));
        assertEquals(Form.NBITS, some.form("output", "W"));
        assertEquals(Form.FLOAT, some.form("conv1", "bias"), "a weight the plan does not quantise");
    }

    @Test
    void attentionProjectionsReadThePixelsButItsOutputProjectionReadsTheHeads() {
        var conf = Topology.of(ModelStore.load("fashion-attention").network());
        var attention = Map.of("Wq", 4, "Wk", 4, "Wv", 4, "Wo", 4);
        var d = Deployment.ofBits(conf, Map.of("attention", attention, "dense1", Map.of("W", 4), "output", Map.of("W", 4)),
                Map.of("attention", 8, "dense1", 8));
        assertEquals(Deployment.PIXELS, d.inputGrid());
        assertEquals(Form.INT8, d.form("attention", "Wq"));
        assertEquals(Form.NBITS, d.form("attention", "Wo"));
        assertEquals(Deployment.FLOAT_INPUTS, Deployment.accuracyLevel("Wo"));
        assertEquals(Form.NBITS, d.form("dense1", "W"), "after global max pooling the input is float");
        assertEquals(Form.INT8, d.form("output", "W"));
    }

    @Test
    void matMulNBitsBlocksFitShortReductions() {
        assertEquals(16, Deployment.nbitsBlock(10));
        assertEquals(64, Deployment.nbitsBlock(56));
        assertEquals(64, Deployment.nbitsBlock(64));
        assertEquals(128, Deployment.nbitsBlock(100));
        assertEquals(Deployment.NBITS_BLOCK, Deployment.nbitsBlock(3136));
    }

    private static Map<String, Map<String, Integer>> weights(int conv1, int conv2, int dense1, int output) {
        return Map.of("conv1", Map.of("W", conv1), "conv2", Map.of("W", conv2), "dense1", Map.of("W", dense1), "output", Map.of("W", output));
    }
}
