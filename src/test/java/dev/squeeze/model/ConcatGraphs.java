package dev.squeeze.model;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A small inception-like ComputationGraph on Fashion-MNIST for the concat (MergeVertex) tests: a stem (conv, batch norm,
 * ReLU, 2x2 max pooling to 14x14), two branches merged along the channels (a 1x1 conv with its own ReLU, 6 channels;
 * a 3x3 conv, batch norm and ReLU, 10 channels), a batch norm over the 16 merged channels, a 3x3 conv reading them, pooling
 * to 7x7, global average pooling, and a vector concat of two dense layers (8 + 8 units) feeding the classifier. Each
 * merge input is its own dependency group; the readers of a merge read the second input's channels from offset 6 (8 for
 * the vectors).
 */
public final class ConcatGraphs {
    public static final TensorShape INPUT = TensorShape.of(1, 28, 28);
    /** Its spelling as a weight-free spec, layer for layer. */
    public static final String SPEC = """
            schema: squeeze-arch/v1
            name: inception
            input: {name: input, shape: [1, 28, 28]}
            layers:
              - {name: stem, op: conv2d, out: 8, kernel: 3, padding: 1}
              - {name: stem_bn, op: batchnorm}
              - {name: stem_relu, op: activation, function: relu}
              - {name: pool, op: pooling, kernel: 2}
              - {name: a, op: conv2d, out: 6, kernel: 1, activation: relu}
              - {name: b, op: conv2d, out: 10, kernel: 3, padding: 1, inputs: [pool]}
              - {name: b_bn, op: batchnorm}
              - {name: b_relu, op: activation, function: relu}
              - {name: cat, op: concat, inputs: [a, b_relu]}
              - {name: cat_bn, op: batchnorm}
              - {name: mix, op: conv2d, out: 12, kernel: 3, padding: 1, activation: relu}
              - {name: pool2, op: pooling, kernel: 2}
              - {name: gap, op: global_pooling, mode: avg}
              - {name: d1, op: dense, out: 8, activation: relu}
              - {name: d2, op: dense, out: 8, activation: relu, inputs: [gap]}
              - {name: vcat, op: concat, inputs: [d1, d2]}
              - {name: output, op: dense, out: 10, activation: softmax}
            """;
    public static final int STEPS = 80;
    public static final int BATCH = 32;

    private static ModelHandle trained;

    private ConcatGraphs() {}

    /** The untrained network (Xavier weights from {@code seed}). */
    public static ComputationGraph build(long seed) {
        Backend.init();
        var conf = new NeuralNetConfiguration.Builder().seed(seed).weightInit(WeightInit.XAVIER).updater(new Adam(2e-3))
                .convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("input").setInputTypes(InputType.convolutional(28, 28, 1))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.IDENTITY).build(), "input")
                .addLayer("stem_bn", new BatchNormalization.Builder().build(), "stem")
                .addLayer("stem_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "stem_bn")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "stem_relu")
                .addLayer("a", new ConvolutionLayer.Builder(1, 1).nOut(6).activation(Activation.RELU).build(), "pool")
                .addLayer("b", new ConvolutionLayer.Builder(3, 3).nOut(10).activation(Activation.IDENTITY).build(), "pool")
                .addLayer("b_bn", new BatchNormalization.Builder().build(), "b")
                .addLayer("b_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "b_bn")
                .addVertex("cat", new MergeVertex(), "a", "b_relu")
                .addLayer("cat_bn", new BatchNormalization.Builder().build(), "cat")
                .addLayer("mix", new ConvolutionLayer.Builder(3, 3).nOut(12).activation(Activation.RELU).build(), "cat_bn")
                .addLayer("pool2", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "mix")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "pool2")
                .addLayer("d1", new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build(), "gap")
                .addLayer("d2", new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build(), "gap")
                .addVertex("vcat", new MergeVertex(), "d1", "d2")
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build(), "vcat")
                .setOutputs("output").build();
        var net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** Trained {@value #STEPS} steps of {@value #BATCH} train images (seconds), once per test JVM. */
    public static synchronized ModelHandle trained() {
        if (trained == null) {
            ComputationGraph net = build(7);
            Images train = TestData.splits().train().head(STEPS * BATCH);
            for (int step = 0; step < STEPS; step++) {
                DataSet batch = InputEncoding.IMAGE.batch(train, step * BATCH, (step + 1) * BATCH);
                net.fit(batch);
                Backend.release(batch.getFeatures(), batch.getLabels());
            }
            trained = new ModelHandle("inception", "test:" + STEPS + " steps", net, null, Dl4jGraphs.of("inception", net, INPUT), InputEncoding.IMAGE);
        }
        return trained;
    }
}
