package dev.squeeze.model.compress;

import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Backend;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.BatchNormOp;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.TestData;
import dev.squeeze.model.TrainedGraphs;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compression of the ComputationGraph baselines: pruned, quantised and fine-tuned through the same code as sequential networks. */
class CompressorTest {
    @org.junit.jupiter.api.BeforeAll
    static void backend() {
        Backend.init(); // before any network is made: DL4J decides once whether its convolutions use oneDNN
    }

    /** The compressed graph has exactly the params and MACs LayerGraph.pruned predicts, and its quantisers sit where a deployment puts them. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"RESNET, pruned", "RESNET, mixed", "MOBILENET, pruned", "MOBILENET, mixed"})
    void compressedGraphHasThePredictedParamsAndMacs(Architecture arch, String which) {
        ModelHandle m = TrainedGraphs.of(arch);
        CompressionPlan plan = which.equals("pruned") ? TrainedGraphs.prunedW8a8(m) : TrainedGraphs.mixed(m);
        var options = new Compressor.Options(Importance.L1, 1, ActivationCalibration.MINMAX, 200);
        try (CompressedModel c = new Compressor(m, options, TestData.splits().calibration()).apply(plan)) {
            LayerGraph predicted = m.graph().pruned(plan, Compressor.Options.DEFAULT.align());
            LayerGraph actual = Dl4jGraphs.of(arch.builtInName(), c.network(), arch.inputShape());
            assertEquals(predicted.params(), actual.params());
            assertEquals(predicted.macs(), actual.macs());
            assertTrue(predicted.sameStructure(actual), () -> predicted.nodes() + "\n" + actual.nodes());
            long runningStats = actual.nodes().stream().filter(n -> n.op() instanceof BatchNormOp)
                    .mapToLong(n -> 2L * ((BatchNormOp) n.op()).features()).sum();
            assertEquals(predicted.params(), c.network().numParams() - runningStats);
            assertTrue(predicted.params() < m.graph().params());
            double floatMb = CompressedModel.uncompressed(m.network(), m.graph()).sizeMb();
            System.out.printf("%s %s: params %,d -> %,d, MACs %,d -> %,d, %.3f -> %.3f MB, quantisers after %s%n", m.name(), which,
                    m.graph().params(), predicted.params(), m.graph().macs(), predicted.macs(), floatMb, c.sizeMb(), c.activations().keySet());
            assertTrue(c.sizeMb() < 0.4 * floatMb, c.sizeMb() + " MB of " + floatMb);
            if (arch == Architecture.RESNET) {
                // an add whose inputs are quantised is quantised after its ReLU, so the next stage's convolutions read codes
                assertTrue(c.activations().containsKey("stage1.relu2"), c.activations().keySet().toString());
                assertEquals(Deployment.Form.INT8, Deployment.of(Topology.of(c.network()), c.weights(), c.activations()).form("stage3.conv1", "W"));
            } else {
                assertEquals(Deployment.Form.INT8, Deployment.of(Topology.of(c.network()), c.weights(), c.activations()).form("block6.dw", "W"));
            }
        }
    }

    /** Distillation fine-tuning (quantisation-aware) of a pruned graph lowers its distillation loss against the uncompressed one. */
    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"RESNET", "MOBILENET"})
    void fineTuneLowersTheDistillationLoss(Architecture arch) {
        ModelHandle m = TrainedGraphs.of(arch);
        var plan = CompressionPlan.uniform("w8a8p0.5").validate(m.graph(), "test");
        var compressor = new Compressor(m, Compressor.Options.DEFAULT, TestData.splits().calibration());
        Images all = TestData.splits().train(); // its last 640: TrainedGraphs trained on its head (3,000 images on the embedded data)
        Images train = all.subset(java.util.stream.IntStream.range(all.count() - 640, all.count()).toArray());
        Images held = TestData.splits().calibration().head(300);
        var pruned = compressor.prune(plan);
        var kd = plan.distillation();
        double before = distillationLoss(pruned.network(), m, held, kd);
        var settings = new FineTuner.Settings(20.0 * 32 / train.count(), 32, 1e-3, true, 1.0, 3);
        var teacher = new FineTuner.Teacher(m.network(), m.graph(), new TeacherOutputs(m.network(), train, m.encoding()));
        var tuned = FineTuner.fineTune(pruned.network(), pruned.graph(), pruned.selection(), teacher, plan, train, m.encoding(), settings, Progress.NONE);
        double after = distillationLoss(tuned.network(), m, held, kd);
        double accBefore = compressor.quantize(pruned, plan).accuracy(held, m.encoding());
        double accAfter = compressor.quantize(new Compressor.Pruned(tuned.network(), pruned.graph(), pruned.selection()), plan).accuracy(held, m.encoding());
        System.out.printf("%s w8a8p0.5: distillation loss on %d held-out images %.4f -> %.4f, accuracy (quantised) %.4f -> %.4f after %d steps (%.1f s)%n",
                m.name(), held.count(), before, after, accBefore, accAfter, tuned.steps(), tuned.seconds());
        assertTrue(after < 0.9 * before, before + " -> " + after);
        assertEquals(pruned.network().numParams(), tuned.network().numParams(), "the student stays pruned");
        assertTrue(tuned.network() instanceof ComputationGraph);
    }

    /** The distillation loss of a float student on images, its probabilities' logs standing for logits (softmax is shift-invariant). */
    private static double distillationLoss(org.deeplearning4j.nn.api.Model student, ModelHandle teacher, Images images, CompressionPlan.Distillation kd) {
        INDArray x = teacher.encoding().features(images, 0, images.count());
        INDArray labels = DistillationLoss.pack(InputEncoding.oneHot(images, 0, images.count()), dev.squeeze.model.Accuracy.output(teacher.network(), x),
                kd.temperature());
        INDArray logits = Transforms.log(Transforms.max(dev.squeeze.model.Accuracy.output(student, x), 1e-30, false), false);
        double loss = new DistillationLoss(kd.temperature(), kd.alpha()).computeScore(labels, logits, null, null, true);
        Backend.release(x, labels, logits);
        return loss;
    }

    /** A vertex compression cannot walk is a one-line error naming it and what is supported. */
    @Test
    void unsupportedVertexIsNamed() {
        var conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same).build(), "in")
                .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(4).build(), "in")
                .addVertex("product", new ElementWiseVertex(ElementWiseVertex.Op.Product), "a", "b")
                .addLayer("pool", new GlobalPoolingLayer(), "product")
                .addLayer("out", new OutputLayer.Builder().nOut(3).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(6, 6, 1))
                .build();
        var e = assertThrows(SqueezeException.class, () -> Topology.of(conf));
        assertTrue(e.getMessage().contains("'product'") && e.getMessage().contains("elementwise Product vertex") && e.getMessage().contains("supported"), e.getMessage());
    }

    /** A separable convolution's weights are refused with a one-line error, not quantised along the wrong axis. */
    @Test
    void separableConvolutionWeightsAreRefused() {
        var conf = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("sep", new SeparableConvolution2D.Builder(3, 3).nOut(8).padding(1, 1).convolutionMode(ConvolutionMode.Truncate).build(), "in")
                .addLayer("pool", new GlobalPoolingLayer(), "sep")
                .addLayer("out", new OutputLayer.Builder().nOut(3).build(), "pool")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(6, 6, 1))
                .build();
        var net = new ComputationGraph(conf);
        net.init();
        LayerGraph g = Dl4jGraphs.of("separable", net, dev.squeeze.model.TensorShape.of(1, 6, 6));
        var e = assertThrows(SqueezeException.class, () -> Compressor.quantizeWeights(net, g, CompressionPlan.uniform("w8a32"), Deployment.PIXELS));
        assertTrue(e.getMessage().contains("'sep") && e.getMessage().contains("SeparableConvolution2D"), e.getMessage());
        assertEquals(Map.of(), Compressor.quantizeWeights(net, g, CompressionPlan.uniform("w32a8"), Deployment.PIXELS));
    }
}
