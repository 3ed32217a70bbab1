package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Backend;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ImportanceTest {

    /** A dead filter (all-zero weights) is the first to go by every weight-based criterion; every order is a permutation. */
    @Test
    void perUnitSlicesAreWhatTakeGivesUnitByUnit() {
        var rnd = new java.util.Random(5);
        for (long[] shape : new long[][]{{6, 4, 3, 3}, {12, 8}, {5, 12}}) {
            float[] data = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < data.length; i++) data[i] = rnd.nextFloat();
            var a = org.nd4j.linalg.factory.Nd4j.create(data, shape, 'c');
            for (int axis = 0; axis < 2; axis++) {
                long block = shape[axis] % 3 == 0 ? 3 : 1;
                int units = (int) (shape[axis] / block);
                float[][] slices = Tensors.perUnit(a, axis, units, block);
                for (int u = 0; u < units; u++) {
                    assertArrayEquals(Tensors.flat(Tensors.take(a, axis, new int[]{u}, block)), slices[u],
                            "shape " + Arrays.toString(shape) + " axis " + axis + " unit " + u);
                }
            }
        }
    }

    @Test
    void deadFilterIsLeastImportant() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        MultiLayerNetwork net = m.multiLayer().clone();
        INDArray w = net.getLayer(4).getParam("W").dup(); // conv2 [64, 32, 3, 3]
        w.assign(Tensors.zero(w, 0, new int[]{17}, 1));
        net.getLayer(4).getParam("W").assign(w);
        var calib = TestData.splits().calibration();
        for (Importance i : Importance.values()) {
            var order = i.order(net, m.graph(), calib, m.encoding());
            assertEquals(m.graph().groups().size(), order.size());
            for (var g : m.graph().groups()) {
                int[] sorted = order.get(g.id()).clone();
                Arrays.sort(sorted);
                assertArrayEquals(IntStream.range(0, g.units()).toArray(), sorted, i + " " + g.id());
            }
            if (i != Importance.ACTIVATION && i != Importance.FPGM) assertEquals(17, order.get("conv2")[0], i.label());
        }
        assertFalse(Arrays.equals(Importance.L1.order(net, m.graph(), calib, m.encoding()).get("conv1"),
                Importance.FPGM.order(net, m.graph(), calib, m.encoding()).get("conv1")), "fpgm ranks by redundancy, not magnitude");
    }

    /** Activation importance of channels is the mean |output| after the conv-BN-ReLU block, measured directly. */
    @Test
    void activationImportanceFollowsMeanActivation() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        var calib = TestData.splits().calibration();
        int[] order = Importance.ACTIVATION.order(m.multiLayer(), m.graph(), calib, m.encoding()).get("conv1");
        INDArray relu1 = m.multiLayer().feedForward(m.encoding().features(calib, 0, Importance.SAMPLES), false).get(3);
        double[] mean = relu1.mean(0, 2, 3).toDoubleVector();
        for (int k = 1; k < order.length; k++) assertFalse(mean[order[k]] < mean[order[k - 1]], "not ascending at " + k);
        int[] heads = Importance.ACTIVATION.order(ModelStore.load("fashion-attention").multiLayer(),
                ModelStore.load("fashion-attention").graph(), calib, dev.squeeze.data.InputEncoding.ROW_TOKENS).get("attention");
        assertEquals(4, heads.length);
    }

    /**
     * On a residual graph every criterion ranks every group, and a residual add group's L1 ranking is that of the
     * summed L1 of all convs feeding the add (its stage's first projection and each block's last conv).
     */
    /**
     * Each input of a concat is ranked on its own channels by every criterion: activation importance reads the branch's
     * output before the merge (whose tensor holds the other branch's channels too), so the 10-channel branch's order is
     * a permutation of its 10 units.
     */
    @Test
    void concatInputsAreRankedOnTheirOwnChannels() {
        ComputationGraph net = dev.squeeze.model.ConcatGraphs.build(5);
        var graph = Dl4jGraphs.of("inception", net, dev.squeeze.model.ConcatGraphs.INPUT);
        Images calib = TestData.splits().calibration().head(64);
        for (Importance criterion : Importance.values()) {
            var order = criterion.order(net, graph, calib, dev.squeeze.data.InputEncoding.IMAGE);
            for (var g : graph.groups()) {
                int[] sorted = order.get(g.id()).clone();
                Arrays.sort(sorted);
                assertArrayEquals(IntStream.range(0, g.units()).toArray(), sorted, criterion + " " + g.id());
            }
        }
    }

    @Test
    void residualGroupsAreRankedOverAllTheirProducers() {
        Backend.init();
        var arch = Architecture.RESNET;
        var net = (ComputationGraph) arch.build(11, 10, 1);
        var graph = Dl4jGraphs.of(arch.builtInName(), net, arch.inputShape());
        Images calib = TestData.splits().calibration().head(64);
        for (Importance criterion : Importance.values()) {
            var order = criterion.order(net, graph, calib, arch.encoding());
            for (var g : graph.groups()) {
                int[] sorted = order.get(g.id()).clone();
                Arrays.sort(sorted);
                assertArrayEquals(IntStream.range(0, g.units()).toArray(), sorted,
                        criterion + " " + g.id());
            }
        }
        var residual = graph.groups().stream()
                .filter(g -> g.members().stream().filter(m -> m.role() == DependencyGroup.Role.PRODUCER).count() > 1)
                .findFirst().orElseThrow();
        double[] l1 = new double[residual.units()];
        for (var m : residual.members()) {
            if (m.role() != DependencyGroup.Role.PRODUCER) continue;
            INDArray w = net.getLayer(m.layer()).getParam("W");
            double[] perChannel = Transforms.abs(w, true).sum(1, 2, 3).toDoubleVector();
            for (int u = 0; u < l1.length; u++) l1[u] += perChannel[u];
        }
        Integer[] expected = new Integer[l1.length];
        for (int u = 0; u < l1.length; u++) expected[u] = u;
        Arrays.sort(expected, (a, b) -> Double.compare(l1[a], l1[b]));
        int[] got = Importance.L1.order(net, graph, null, arch.encoding()).get(residual.id());
        assertEquals(Arrays.toString(expected), Arrays.toString(got), "group " + residual.id());
    }
}
