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
        var d = Deployment.ofBits(conf, weights(4, 4, 4, 2), ALL_ACTIVATIONS_8, Deployment.PIXELS);
        assertEquals(Deployment.PIXELS, d.inputGrid());
        for (String layer : new String[]{"conv1", "conv2", "dense1", "output"}) assertEquals(Form.INT8, d.form(layer, "W"), layer);
        assertEquals(Map.of(), d.inputQuantisers(Map.of()));
    }

    @Test
    void withoutQuantisedActivationsLowBitWeightsRunFloatOrAsMatMulNBits() {
        var conf = Topology.of(ModelStore.load("fashion-cnn").network());
        var d = Deployment.ofBits(conf, weights(8, 8, 4, 8), Map.of(), Deployment.PIXELS);
        assertNull(d.inputGrid(), "a convolution whose output stays float cannot be an integer kernel, so the input stays float");
        assertEquals(Form.FLOAT, d.form("conv1", "W"));
        assertEquals(Form.NBITS, d.form("dense1", "W"), "4-bit weights on a float input: MatMulNBits");
        assertEquals(Form.FLOAT, d.form("output", "W"));
        // only relu2 quantised: dense1 (after pooling and the reshape) reads its codes, the output layer reads floats
        var some = Deployment.ofBits(conf, weights(8, 8, 4, 4), Map.of("relu2", 6), Deployment.PIXELS);
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
                Map.of("attention", 8, "dense1", 8), Deployment.PIXELS);
        assertEquals(Deployment.PIXELS, d.inputGrid());
        assertEquals(Form.INT8, d.form("attention", "Wq"));
        assertEquals(Form.NBITS, d.form("attention", "Wo"));
        assertEquals(Deployment.FLOAT_INPUTS, Deployment.accuracyLevel("Wo"));
        assertEquals(Form.NBITS, d.form("dense1", "W"), "after global max pooling the input is float");
        assertEquals(Form.INT8, d.form("output", "W"));
    }

    @Test
    void theInputLiesOnAGridOnlyWhenItsValuesDo() {
        var shape = dev.squeeze.data.SampleShape.of(3, 2, 2);
        java.util.function.BiFunction<dev.squeeze.data.Values, dev.squeeze.data.Scaling, dev.squeeze.data.Images> images =
                (v, s) -> new dev.squeeze.data.Images(shape, v, null, java.util.List.of(), s);
        var bytes = new dev.squeeze.data.Values.Bytes(new byte[12]);
        var image = dev.squeeze.data.InputEncoding.IMAGE;
        assertEquals(Deployment.PIXELS, Deployment.gridOf(images.apply(bytes, dev.squeeze.data.Scaling.UNIT_BYTES), image));
        var centred = new dev.squeeze.data.Scaling(1 / 255.0, java.util.List.of(128 / 255.0), java.util.List.of(0.5));
        assertEquals(new ActivationQuant(8, (float) (2 / 255.0), 128), Deployment.gridOf(images.apply(bytes, centred), image));
        assertNull(Deployment.gridOf(images.apply(new dev.squeeze.data.Values.Floats(new float[12]), dev.squeeze.data.Scaling.UNIT_BYTES), image),
                "floats lie on no known grid");
        var perChannel = new dev.squeeze.data.Scaling(1 / 255.0, java.util.List.of(0.0, 0.0, 128 / 255.0), java.util.List.of(1.0));
        assertNull(Deployment.gridOf(images.apply(bytes, perChannel), image), "one grid per channel is no grid QLinearConv takes");
        var halfLevel = new dev.squeeze.data.Scaling(1 / 255.0, java.util.List.of(0.5), java.util.List.of(1.0));
        assertNull(Deployment.gridOf(images.apply(bytes, halfLevel), image), "zero point 127.5");
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
