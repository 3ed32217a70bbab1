package dev.squeeze.model;

import dev.squeeze.model.DependencyGroup.Role;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerGraphTest {
    @BeforeAll
    static void backend() {
        Backend.init();
    }

    /** Params and MACs of the shipped CNN, worked out by hand from its architecture. */
    @Test
    void shippedCnnMatchesHandComputedParamsAndMacs() {
        LayerGraph g = ModelStore.load("fashion-cnn").graph();
        // conv1: 3x3x1 -> 32, no bias (BN follows); BN: gamma+beta per channel
        assertEquals(3 * 3 * 1 * 32, g.node("conv1").params());
        assertEquals(2 * 32, g.node("bn1").params());
        assertEquals(3 * 3 * 32 * 64, g.node("conv2").params());
        assertEquals(2 * 64, g.node("bn2").params());
        assertEquals(64 * 7 * 7 * 128 + 128, g.node("dense1").params());
        assertEquals(128 * 10 + 10, g.node("output").params());
        assertEquals(288 + 64 + 18_432 + 128 + 401_536 + 1_290, g.params());
        // MACs: output positions x output channels x (input channels x kernel area)
        assertEquals(28 * 28 * 32 * (1 * 9), g.node("conv1").macs());
        assertEquals(14 * 14 * 64 * (32 * 9), g.node("conv2").macs());
        assertEquals(3136 * 128, g.node("dense1").macs());
        assertEquals(128 * 10, g.node("output").macs());
        assertEquals(225_792 + 3_612_672 + 401_408 + 1_280, g.macs());
        assertEquals(TensorShape.of(64, 7, 7), g.node("pool2").outShape());
    }

    @Test
    void cnnDependencyGroupsFollowChannelsThroughBatchNormAndFlatten() {
        LayerGraph g = ModelStore.load("fashion-cnn").graph();
        assertEquals(List.of("conv1", "conv2", "dense1"), g.groups().stream().map(DependencyGroup::id).toList());
        DependencyGroup conv2 = g.groupOf("conv2").orElseThrow();
        assertEquals(List.of("bn2", "relu2", "pool2", "flatten"), conv2.layers(Role.FOLLOWER));
        assertEquals(List.of("dense1"), conv2.layers(Role.CONSUMER));
        assertEquals(49, conv2.members().stream().filter(m -> m.role() == Role.CONSUMER).findFirst().orElseThrow().rowsPerUnit());
        assertEquals(64, g.prunableUnits("conv2"));
        assertEquals(PrunableUnit.UNITS, g.prunableUnit("dense1"));
        assertEquals(0, g.prunableUnits("output"), "the output layer's units are the classes");
        assertEquals(0, g.prunableUnits("bn1"));
    }

    @Test
    void attentionModelHasHeadsGroup() {
        LayerGraph g = ModelStore.load("fashion-attention").graph();
        assertEquals(PrunableUnit.HEADS, g.prunableUnit("attention"));
        assertEquals(4, g.prunableUnits("attention"));
        // Q, K, V: [4 heads x 16] x 56 inputs each, O: 64 x 64, no biases
        assertEquals(3 * 64 * 56 + 64 * 64, g.node("attention").params());
        assertEquals(3L * 28 * 56 * 64 + 2L * 28 * 28 * 64 + 28L * 64 * 64, g.node("attention").macs());
        assertEquals(List.of(28, 64), g.node("attention").outShape().dims());
    }

    /** A residual add ties both branches' channels into one group, read from a DL4J ComputationGraph. */
    @Test
    void residualAddMergesGroupsInComputationGraph() {
        var conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same).build(), "in")
                .addLayer("branch", new ConvolutionLayer.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same).build(), "stem")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "branch", "stem")
                .addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(4).build(), "add")
                .addLayer("pool", new GlobalPoolingLayer(), "head")
                .addLayer("out", new OutputLayer.Builder().nOut(3).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(10, 10, 2))
                .build();
        var net = new ComputationGraph(conf);
        net.init();
        LayerGraph g = Dl4jGraphs.of("residual", net, TensorShape.of(2, 10, 10));
        DependencyGroup stem = g.groupOf("stem").orElseThrow();
        assertEquals(List.of("stem", "branch"), stem.producers());
        assertTrue(stem.layers(Role.CONSUMER).containsAll(List.of("branch", "head")));
        assertEquals(List.of("add"), stem.layers(Role.FOLLOWER));
        assertEquals(stem, g.groupOf("branch").orElseThrow());
        assertEquals(net.numParams(), g.params());
    }

    @Test
    void graphOfBuiltNetworkEqualsShippedModelGraph() {
        var built = Dl4jGraphs.of("fashion-cnn", Architecture.CNN.build(1, 1, 1), Architecture.CNN.inputShape());
        assertTrue(built.sameStructure(ModelStore.load("fashion-cnn").graph()));
    }
}
