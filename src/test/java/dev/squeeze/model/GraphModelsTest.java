package dev.squeeze.model;

import dev.squeeze.model.DependencyGroup.Role;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ComputationGraph baselines (fashion-resnet, fashion-mobilenet) read into LayerGraphs. */
class GraphModelsTest {
    @BeforeAll
    static void backend() {
        Backend.init();
    }

    private static LayerGraph built(Architecture arch) {
        return Dl4jGraphs.of(arch.builtInName(), arch.build(1, 10, 1), arch.inputShape());
    }

    /**
     * DL4J counts BatchNorm's running mean and variance as parameters; squeeze counts them as buffers (as torchvision
     * does), so DL4J's count is the graph's plus two per BatchNorm feature.
     */
    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"RESNET", "MOBILENET"})
    void paramsEqualDl4jsCountLessRunningStatistics(Architecture arch) {
        Model net = arch.build(1, 10, 1);
        LayerGraph g = Dl4jGraphs.of(arch.builtInName(), net, arch.inputShape());
        long runningStats = g.nodes().stream().filter(n -> n.op() instanceof BatchNormOp)
                .mapToLong(n -> 2L * ((BatchNormOp) n.op()).features()).sum();
        assertEquals(net.numParams(), g.params() + runningStats);
        assertEquals(arch.builtInName(), g.name());
    }

    /** Stage 2 of the ResNet, counted by hand: 32 channels at 14x14 in, 64 at 7x7 out. */
    @Test
    void resnetStageMatchesHandCount() {
        LayerGraph g = built(Architecture.RESNET);
        assertEquals(3 * 3 * 32 * 64, g.node("stage2.conv1").params());
        assertEquals(7 * 7 * 64 * (32 * 9), g.node("stage2.conv1").macs());
        assertEquals(3 * 3 * 64 * 64, g.node("stage2.conv2").params());
        assertEquals(7 * 7 * 64 * (64 * 9), g.node("stage2.conv2").macs());
        assertEquals(32 * 64, g.node("stage2.proj").params());
        assertEquals(7 * 7 * 64 * 32, g.node("stage2.proj").macs());
        for (String bn : List.of("stage2.bn1", "stage2.bn2", "stage2.proj_bn")) assertEquals(2 * 64, g.node(bn).params());
        assertEquals(TensorShape.of(64, 7, 7), g.node("stage2.add").outShape());
        // stem 288 + 64; stages (conv1 + conv2 + proj + 3 BN); classifier 128 x 10 + 10
        long stages = 0;
        int in = 32;
        for (int out : new int[]{32, 64, 128}) {
            stages += 9L * in * out + 9L * out * out + (long) in * out + 3 * 2 * out;
            in = out;
        }
        assertEquals(288 + 64 + stages + 1_290, g.params());
        // MACs: stem at 28x28, stages at 14x14, 7x7, 4x4
        long macs = 28 * 28 * 32 * 9 + 1_280;
        in = 32;
        int[] side = {14, 7, 4};
        int[] width = {32, 64, 128};
        for (int s = 0; s < 3; s++) {
            long positions = (long) side[s] * side[s] * width[s];
            macs += positions * (9L * in + 9L * width[s] + in);
            in = width[s];
        }
        assertEquals(macs, g.macs());
    }

    /** Each residual add makes one group of its stage: the block's second conv and its projection shortcut. */
    @Test
    void resnetStagesAreOneGroupEach() {
        LayerGraph g = built(Architecture.RESNET);
        List<String> next = List.of("stage2.conv1", "stage2.proj", "stage3.conv1", "stage3.proj", "output");
        for (int s = 1; s <= 3; s++) {
            String stage = "stage" + s;
            DependencyGroup group = g.groupOf(stage + ".conv2").orElseThrow();
            assertEquals(List.of(stage + ".conv2", stage + ".proj"), group.producers());
            assertEquals(group, g.groupOf(stage + ".proj").orElseThrow());
            assertTrue(group.layers(Role.FOLLOWER).containsAll(List.of(stage + ".bn2", stage + ".proj_bn", stage + ".add", stage + ".relu2")),
                    group.toString());
            assertEquals(s < 3 ? next.subList(2 * s - 2, 2 * s) : List.of("output"), group.layers(Role.CONSUMER));
            assertEquals(List.of(stage + ".conv1"), g.groupOf(stage + ".conv1").orElseThrow().producers());
        }
        assertEquals(List.of("stem.conv", "stage1.conv1", "stage1.conv2", "stage2.conv1", "stage2.conv2", "stage3.conv1", "stage3.conv2"),
                g.groups().stream().map(DependencyGroup::id).toList());
    }

    /** A depthwise conv (its own op, spelled as a conv2d of 64 groups) is one whose channels follow its input's; MACs per output need one input channel. */
    @Test
    void mobilenetDepthwiseConvsFollowTheirInput() {
        LayerGraph g = built(Architecture.MOBILENET);
        var dw = (DepthwiseConv2dOp) g.node("block3.dw").op();
        assertEquals(64, dw.channels());
        assertEquals(64 * 9, g.node("block3.dw").params());
        assertEquals(7 * 7 * 64 * 9, g.node("block3.dw").macs());
        assertEquals(64 * 128, g.node("block3.pw").params());
        assertEquals(7 * 7 * 128 * 64, g.node("block3.pw").macs());
        DependencyGroup block2 = g.groupOf("block2.pw").orElseThrow();
        assertEquals(List.of("block2.pw"), block2.producers());
        assertTrue(block2.layers(Role.FOLLOWER).containsAll(List.of("block3.dw", "block3.dw_bn", "block3.dw_relu")), block2.toString());
        assertEquals(List.of("block3.pw"), block2.layers(Role.CONSUMER));
        assertEquals(0, g.prunableUnits("block3.dw"));
        assertEquals(TensorShape.of(128, 4, 4), g.node("block5.dw").outShape());
    }

    /** DL4J's one-layer separable conv reads as its depthwise conv plus a pointwise conv under the layer's name. */
    @Test
    void separableConvolutionIsDepthwisePlusPointwise() {
        var conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("sep", new SeparableConvolution2D.Builder(3, 3).nOut(8).depthMultiplier(2).padding(1, 1)
                        .convolutionMode(ConvolutionMode.Truncate).build(), "in")
                .addLayer("pool", new GlobalPoolingLayer(), "sep")
                .addLayer("out", new OutputLayer.Builder().nOut(3).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(6, 6, 4))
                .build();
        var net = new ComputationGraph(conf);
        net.init();
        LayerGraph g = Dl4jGraphs.of("separable", net, TensorShape.of(4, 6, 6));
        assertEquals(List.of("sep.depthwise", "sep", "pool", "out"), g.layerNames());
        assertEquals(new Conv2dOp(4, 8, 3, 3, 1, 1, 1, 1, 4, false, "identity"), g.node("sep.depthwise").op());
        assertEquals(TensorShape.of(8, 6, 6), g.node("sep").inShape());
        assertEquals(net.numParams(), g.params());
        assertEquals(6 * 6 * 8 * 9 + 6 * 6 * 8 * 8 + 8 * 3, g.macs());
    }
}
