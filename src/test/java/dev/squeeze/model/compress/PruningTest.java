package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import dev.squeeze.data.DataSplits;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Backend;
import dev.squeeze.model.ConcatGraphs;
import dev.squeeze.model.DependencyGroup;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

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

    /**
     * The same for the graph baselines: every residual add group, each depthwise conv following its input's channels
     * and the projection shortcuts, all pruned at once, half of each group's units (random weights and batch-norm
     * statistics, random unit order, so nothing lines up by accident).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Architecture.class, names = {"RESNET", "MOBILENET"})
    void graphPhysicalEqualsMaskedAndMatchesTheGraph(Architecture arch) {
        Backend.init();
        var net = (ComputationGraph) arch.build(7, 10, 1);
        Nd4j.getRandom().setSeed(7);
        net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.2));
        for (var l : net.getLayers()) {
            if (l.paramTable().containsKey("var")) l.getParam("var").assign(Nd4j.rand(DataType.FLOAT, l.getParam("var").shape()).addi(0.5));
        }
        INDArray before = net.params().dup();
        LayerGraph graph = Dl4jGraphs.of(arch.builtInName(), net, arch.inputShape());
        assertTrue(graph.groups().stream().anyMatch(g -> g.members().stream().filter(m -> m.role() == DependencyGroup.Role.PRODUCER).count() > 1)
                || arch == Architecture.MOBILENET, "no residual group: " + graph.groups());
        var selection = randomSelection(graph, new Random(7), units -> units / 2);

        LayerGraph predicted = assertMaskedEqualsPhysical(net, graph, selection, arch.builtInName(), arch.inputShape());
        assertTrue(predicted.params() < graph.params());
        assertArrayEquals(before.toFloatVector(), net.params().toFloatVector(), "the input network was modified");
    }

    /** A separable conv's two halves: its depthwise half follows the conv before it, its pointwise half makes its own channels. */
    @Test
    void separableConvPrunesBothHalves() {
        Backend.init();
        var conf = new NeuralNetConfiguration.Builder().seed(3).weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("input").setInputTypes(InputType.convolutional(12, 12, 1))
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build(), "input")
                .addLayer("sep", new SeparableConvolution2D.Builder(3, 3).nOut(12).activation(Activation.RELU).build(), "c1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "sep")
                .addLayer("output", new OutputLayer.Builder().nOut(4).activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("output").build();
        var net = new ComputationGraph(conf);
        net.init();
        LayerGraph graph = Dl4jGraphs.of("separable", net, dev.squeeze.model.TensorShape.of(1, 12, 12));
        var selection = randomSelection(graph, new Random(5), units -> units / 2 + 1);
        assertEquals(2, selection.counts().size(), graph.groups().toString());
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 1, 12, 12);
        ComputationGraph physical = Pruning.physical(net, graph, selection);
        double diff = logits(Pruning.masked(net, graph, selection), x).sub(logits(physical, x)).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-5, "max |logit difference| " + diff);
        LayerGraph predicted = graph.pruned(selection.counts());
        assertEquals(predicted.params(), Dl4jGraphs.of("separable", physical, dev.squeeze.model.TensorShape.of(1, 12, 12)).params());
        assertEquals(predicted.params(), physical.numParams());
    }

    /**
     * Concat (MergeVertex): each merged input keeps its own channels, and the readers of the merge (a batch norm over the
     * merged channels, the conv after it; the classifier after a vector concat) lose the matching rows at each input's
     * offset. Random weights and statistics, a random half of every group.
     */
    @Test
    void concatPhysicalEqualsMaskedAndMatchesTheGraph() {
        ComputationGraph net = ConcatGraphs.build(11);
        Nd4j.getRandom().setSeed(11);
        net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.3));
        for (var l : net.getLayers()) {
            if (l.paramTable().containsKey("var")) l.getParam("var").assign(Nd4j.rand(DataType.FLOAT, l.getParam("var").shape()).addi(0.5));
        }
        INDArray before = net.params().dup();
        LayerGraph graph = Dl4jGraphs.of("inception", net, ConcatGraphs.INPUT);
        DependencyGroup a = graph.groupOf("a").orElseThrow(), b = graph.groupOf("b").orElseThrow(), d2 = graph.groupOf("d2").orElseThrow();
        assertTrue(a.members().contains(new DependencyGroup.Member("mix", DependencyGroup.Role.CONSUMER, 1, 0)), a.toString());
        assertTrue(b.members().contains(new DependencyGroup.Member("mix", DependencyGroup.Role.CONSUMER, 1, 6)), b.toString());
        assertTrue(b.members().contains(new DependencyGroup.Member("cat_bn", DependencyGroup.Role.FOLLOWER, 1, 6)), b.toString());
        assertTrue(d2.members().contains(new DependencyGroup.Member("output", DependencyGroup.Role.CONSUMER, 1, 8)), d2.toString());
        var selection = randomSelection(graph, new Random(11), units -> units / 2);
        assertEquals(6, selection.counts().size(), graph.groups().toString()); // stem, a, b, mix, d1, d2

        LayerGraph predicted = assertMaskedEqualsPhysical(net, graph, selection, "inception (concat)", ConcatGraphs.INPUT);
        // mix reads 3 of a's 6 channels and 5 of b's 10; the classifier 4 + 4 of the 16 merged units
        assertEquals(8, ((dev.squeeze.model.Conv2dOp) predicted.node("mix").op()).inChannels());
        assertEquals(8, ((dev.squeeze.model.DenseOp) predicted.node("output").op()).in());
        assertEquals(9L * 8 * 6 + 6, predicted.node("mix").params());
        assertArrayEquals(before.toFloatVector(), net.params().toFloatVector(), "the input network was modified");
    }

    /**
     * Masked and physical pruning of a graph by {@code selection} give the same logits (max |difference| <= 1e-4) on
     * random images, and the physical network's params, MACs and structure are what {@code LayerGraph.pruned} predicts,
     * which it returns.
     */
    private static LayerGraph assertMaskedEqualsPhysical(ComputationGraph net, LayerGraph graph, UnitSelection selection, String name,
                                                         dev.squeeze.model.TensorShape input) {
        ComputationGraph masked = Pruning.masked(net, graph, selection);
        ComputationGraph physical = Pruning.physical(net, graph, selection);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 1, 28, 28);
        INDArray zMasked = logits(masked, x), zPhysical = logits(physical, x);
        double diff = zMasked.sub(zPhysical).amaxNumber().doubleValue();
        LayerGraph predicted = graph.pruned(selection.counts());
        System.out.printf("%s, %d groups halved: max |logit difference| physical vs masked %.2e, params %,d -> %,d, MACs %,d -> %,d%n",
                name, selection.counts().size(), diff, graph.params(), predicted.params(), graph.macs(), predicted.macs());
        assertTrue(diff <= 1e-4, "max |logit difference| " + diff);
        assertTrue(logits(net, x).sub(zMasked).amaxNumber().doubleValue() > 1e-3, "pruning changed nothing");
        LayerGraph actual = Dl4jGraphs.of(graph.name(), physical, input);
        assertEquals(predicted.params(), actual.params());
        assertEquals(predicted.macs(), actual.macs());
        assertTrue(predicted.sameStructure(actual), () -> predicted.nodes() + "\n" + actual.nodes());
        return predicted;
    }

    /** Keeps {@code kept(units)} of every group but the classifier's outputs, in a random order of importance. */
    private static UnitSelection randomSelection(LayerGraph graph, Random random, java.util.function.IntUnaryOperator kept) {
        var order = new HashMap<String, int[]>();
        var counts = new HashMap<String, Integer>();
        for (DependencyGroup g : graph.groups()) {
            if (g.id().equals("output")) continue;
            order.put(g.id(), DataSplits.permutation(g.units(), random));
            counts.put(g.id(), kept.applyAsInt(g.units()));
        }
        return UnitSelection.ofCounts(graph, counts, order);
    }

    /** A graph's logits: the output layer applied to its input without the softmax. */
    static INDArray logits(ComputationGraph net, INDArray x) {
        var acts = net.feedForward(x, false);
        String into = net.getConfiguration().getVertexInputs().get("output").get(0);
        var out = net.getLayer("output");
        return acts.get(into).mmul(out.getParam("W")).addiRowVector(out.getParam("b"));
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
