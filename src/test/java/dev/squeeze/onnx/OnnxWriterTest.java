package dev.squeeze.onnx;

import dev.squeeze.model.compress.ActivationQuant;

import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.AutoEncoder;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import static dev.squeeze.onnx.OnnxFixtures.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ONNX Runtime on the exported model computes what DL4J computes, float and with activation QDQ. */
class OnnxWriterTest {
    static final double TOLERANCE = 1e-4;
    static final int IMAGES = 500;
    /** Fewer for the layer-by-layer CNN checks: 100 images are already 2.5 million values per conv layer. */
    static final int QDQ_IMAGES = 100;

    @Test
    void builtInCnnMatchesDl4j() {
        assertFloatMatch(ModelStore.load("fashion-cnn"));
    }

    @Test
    void builtInAttentionMatchesDl4j() {
        assertFloatMatch(ModelStore.load("fashion-attention"));
    }

    @Test
    void cnnOfOtherWidthsMatchesDl4j() {
        var net = OnnxFixtures.oddCnn(7);
        INDArray x = OnnxFixtures.features(InputEncoding.IMAGE, IMAGES);
        assertFloatMatch("odd cnn", net, OnnxFixtures.IMAGE, x);
        // an untrained net's probabilities are near uniform and hide little errors: check every layer's output too
        checkLayerByLayer("odd cnn", net, OnnxFixtures.IMAGE, Map.of(), x.get(NDArrayIndex.interval(0, QDQ_IMAGES)));
    }

    @Test
    void attentionOfOtherWidthsMatchesDl4j() {
        var net = OnnxFixtures.oddAttention(7);
        INDArray x = OnnxFixtures.features(InputEncoding.ROW_TOKENS, IMAGES);
        assertFloatMatch("odd attention", net, OnnxFixtures.ROW_TOKENS, x);
        checkLayerByLayer("odd attention", net, OnnxFixtures.ROW_TOKENS, Map.of(), x);
    }

    /** Same-mode pooling pads at the bottom/right (SAME_UPPER); the padding must never win a max over negative values. */
    @Test
    void samePaddedMaxPoolingOverNegativeValues() {
        var conf = new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv").nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool").kernelSize(3, 3).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(OnnxFixtures.IMAGE)
                .build();
        var net = new MultiLayerNetwork(conf);
        net.init();
        net.getLayer("conv").getParam("b").assign(-5); // every conv output negative
        checkLayerByLayer("same-padded pool", net, OnnxFixtures.IMAGE, Map.of(), OnnxFixtures.features(InputEncoding.IMAGE, 20));
    }

    @Test
    void builtInCnnWithActivationQuantMatchesReferenceFakeQuant() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        INDArray x = OnnxFixtures.features(InputEncoding.IMAGE, QDQ_IMAGES);
        // several bit widths, float16, asymmetric (conv, bn) and zero-based (relu) ranges, the output layer too
        var bits = new LinkedHashMap<String, Integer>();
        bits.put("conv1", 8);
        bits.put("bn1", 16);
        bits.put("relu1", 4);
        bits.put("conv2", 2);
        bits.put("dense1", 3);
        bits.put("output", 8);
        checkLayerByLayer("fashion-cnn", m.multiLayer(), OnnxFixtures.IMAGE, calibrate(m.multiLayer(), x, bits), x);
    }

    @Test
    void attentionWithActivationQuantMatchesReferenceFakeQuant() {
        ModelHandle m = ModelStore.load("fashion-attention");
        INDArray x = OnnxFixtures.features(InputEncoding.ROW_TOKENS, IMAGES);
        var bits = new LinkedHashMap<String, Integer>();
        bits.put("attention", 6);
        bits.put("pool", 16);
        bits.put("dense1", 5);
        checkLayerByLayer("fashion-attention", m.multiLayer(), OnnxFixtures.ROW_TOKENS, calibrate(m.multiLayer(), x, bits), x);
    }

    @Test
    void unsupportedLayerIsNamed() {
        var conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("dense").nIn(4).nOut(5).build())
                .layer(new AutoEncoder.Builder().name("gate").nIn(5).nOut(5).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        var net = new MultiLayerNetwork(conf);
        net.init();
        var e = assertThrows(IllegalArgumentException.class, () -> OnnxWriter.write(net, InputType.feedForward(4), Map.of()));
        assertTrue(e.getMessage().contains("'gate'") && e.getMessage().contains("AutoEncoder"), e.getMessage());
    }

    @Test
    void qdqForUnknownLayerIsRejected() {
        var net = ModelStore.load("fashion-cnn").multiLayer();
        var e = assertThrows(IllegalArgumentException.class,
                () -> OnnxWriter.write(net, OnnxFixtures.IMAGE, Map.of("conv9", ActivationQuant.FP16)));
        assertTrue(e.getMessage().contains("conv9"), e.getMessage());
    }

    @Test
    void activationQdqChecksItsValues() {
        assertThrows(IllegalArgumentException.class, () -> new ActivationQuant(1, 0.1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new ActivationQuant(9, 0.1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new ActivationQuant(4, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new ActivationQuant(4, 0.1f, 16));
        assertThrows(IllegalArgumentException.class, () -> new ActivationQuant(16, 0.5f, 0));
        ActivationQuant q = ActivationQuant.ofRange(-1f, 3f, 8);
        assertEquals(4f / 255, q.scale(), 1e-7);
        assertEquals(64, q.zeroPoint());
        assertEquals(0, ActivationQuant.ofRange(0.5f, 6f, 4).zeroPoint(), "a non-negative range starts at zero");
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void assertFloatMatch(ModelHandle m) {
        INDArray x = m.encoding().features(OnnxFixtures.images(IMAGES), 0, IMAGES);
        byte[] onnx = OnnxWriter.write(m, Map.of());
        assertFloatMatch(m.name(), m.multiLayer(), onnx, x);
    }

    private static void assertFloatMatch(String what, MultiLayerNetwork net, InputType type, INDArray x) {
        assertFloatMatch(what, net, OnnxWriter.write(net, type, Map.of()), x);
    }

    private static void assertFloatMatch(String what, MultiLayerNetwork net, byte[] onnx, INDArray x) {
        INDArray expected = net.output(x, false);
        INDArray actual;
        try (var runner = OnnxRunner.of(onnx, 2)) {
            actual = runner.output(x);
        }
        double diff = maxAbsDiff(expected, actual);
        System.out.printf("%s: ONNX Runtime vs DL4J on %d images, max |diff| = %.3g%n", what, x.size(0), diff);
        assertTrue(diff <= TOLERANCE, what + ": max |diff| " + diff);
    }

    /** Min/max ranges of DL4J's own activations, shrunk by a fifth so that the clip is exercised too. */
    private static Map<String, ActivationQuant> calibrate(MultiLayerNetwork net, INDArray x, Map<String, Integer> bits) {
        List<INDArray> acts = net.feedForward(x, false); // [input, layer 0, layer 1, ...]
        var out = new LinkedHashMap<String, ActivationQuant>();
        for (int i = 0; i < net.getnLayers(); i++) {
            String name = net.getLayer(i).conf().getLayer().getLayerName();
            Integer b = bits.get(name);
            if (b == null) continue;
            INDArray a = acts.get(i + 1);
            out.put(name, b == 16 ? ActivationQuant.FP16
                    : ActivationQuant.ofRange(0.8f * a.minNumber().floatValue(), 0.8f * a.maxNumber().floatValue(), b));
        }
        return out;
    }

    /**
     * Each layer in isolation: DL4J's layer is fed ONNX Runtime's output of the previous layer, the Java reference
     * fake quant is applied to DL4J's result, and ONNX Runtime's output of that layer must match it to 1e-4, except
     * where a value sits within float rounding of a rounding boundary (there the two runtimes may round apart, by
     * at most one step).
     */
    private static void checkLayerByLayer(String what, MultiLayerNetwork net, InputType type, Map<String, ActivationQuant> qdq, INDArray x) {
        var conf = net.getLayerWiseConfigurations();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < net.getnLayers(); i++) names.add(conf.getConf(i).getLayer().getLayerName());
        var wanted = new LinkedHashSet<>(names);
        wanted.add(OnnxWriter.OUTPUT);
        Map<String, INDArray> ort;
        try (var runner = OnnxRunner.of(OnnxWriter.write(net, type, qdq, true), 2)) {
            ort = runner.outputs(x, wanted);
        }
        assertEquals(0, maxAbsDiff(ort.get(names.get(names.size() - 1)), ort.get(OnnxWriter.OUTPUT)));
        var mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray in = x;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            InputPreProcessor p = conf.getInputPreProcess(i);
            INDArray layerIn = p == null ? in : p.preProcess(in, (int) in.size(0), mgr);
            float[] dl4j = net.getLayer(i).activate(layerIn, false, mgr).castTo(DataType.FLOAT).dup('c').data().asFloat();
            INDArray got = ort.get(name);
            float[] onnx = got.dup('c').data().asFloat();
            assertEquals(dl4j.length, onnx.length, name);
            ActivationQuant q = qdq.get(name);
            float[] expected = q == null ? dl4j : fakeQuant(dl4j, q);
            float[][] band = q == null ? null : tieBand(dl4j, q);
            double maxDiff = 0, maxTieDiff = 0;
            int ties = 0, flips = 0;
            for (int k = 0; k < dl4j.length; k++) {
                double d = Math.abs(onnx[k] - expected[k]);
                boolean tie = band != null && band[0][k] != band[1][k];
                if (tie) {
                    ties++;
                    if (d > TOLERANCE) flips++;
                    maxTieDiff = Math.max(maxTieDiff, d);
                    // one rounding step apart at most: the quantisation step, or float16's spacing there
                    double step = q.isFloat16() ? Math.abs(band[1][k] - band[0][k]) : q.scale();
                    assertTrue(d <= step + TOLERANCE, what + " " + name + "[" + k + "]: " + onnx[k] + " vs " + expected[k]);
                } else {
                    maxDiff = Math.max(maxDiff, d);
                }
            }
            if (q == null) {
                System.out.printf("%s %-9s float                      max |diff| %.3g over %d values%n", what, name, maxDiff, dl4j.length);
            } else {
                System.out.printf("%s %-9s %-26s max |diff| %.3g over %d values; %d near a rounding tie, %d rounded apart (max %.3g)%n",
                        what, name, q.isFloat16() ? "float16" : q.bits() + " bit, scale " + q.scale() + " zp " + q.zeroPoint(),
                        maxDiff, dl4j.length, ties, flips, maxTieDiff);
            }
            assertTrue(maxDiff <= TOLERANCE, what + " " + name + ": max |diff| " + maxDiff);
            assertTrue(ties <= dl4j.length / 100 + 5, what + " " + name + ": " + ties + " near-ties: the band is too wide to check much");
            in = got; // ONNX Runtime's own output feeds the next layer: each layer is checked on the same input
        }
    }

    /** The plain reference: {@code (clamp(rint(x/scale) + zp, 0, levels) - zp) * scale}, or a float16 round trip. */
    static float[] fakeQuant(float[] x, ActivationQuant q) {
        if (q.isFloat16()) return Nd4j.create(x).castTo(DataType.HALF).castTo(DataType.FLOAT).toFloatVector();
        float[] out = new float[x.length];
        float s = q.scale();
        int zp = q.zeroPoint(), levels = q.levels();
        for (int i = 0; i < x.length; i++) {
            double level = Math.min(levels, Math.max(0, Math.rint(x[i] / s) + zp));
            out[i] = (float) ((int) level - zp) * s;
        }
        return out;
    }

    /**
     * The reference at {@code x} nudged down and up by float noise (2e-6 relative, plus 5e-7 absolute for integer
     * steps): where the two differ, DL4J and ONNX Runtime (which sum in different orders) may legitimately land on
     * different sides of a tie. float16 needs no absolute term: below 0.0625 its steps are under the 1e-4 tolerance.
     */
    private static float[][] tieBand(float[] x, ActivationQuant q) {
        float[] lo = new float[x.length], hi = new float[x.length];
        float absolute = q.isFloat16() ? 0f : 5e-7f;
        for (int i = 0; i < x.length; i++) {
            float delta = 2e-6f * Math.abs(x[i]) + absolute;
            lo[i] = x[i] - delta;
            hi[i] = x[i] + delta;
        }
        return new float[][]{fakeQuant(lo, q), fakeQuant(hi, q)};
    }
}
