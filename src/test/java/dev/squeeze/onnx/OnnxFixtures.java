package dev.squeeze.onnx;

import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Backend;
import dev.squeeze.model.TestData;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Networks and data the ONNX tests share. */
public final class OnnxFixtures {
    static final InputType IMAGE = InputType.convolutional(FashionMnist.SIDE, FashionMnist.SIDE, 1);
    static final InputType ROW_TOKENS = InputType.recurrent(InputEncoding.ROW_TOKEN_FEATURES, FashionMnist.SIDE);

    private OnnxFixtures() {}

    /** The first {@code n} test images. */
    static Images images(int n) {
        Backend.init();
        return TestData.splits().test().head(n);
    }

    public static INDArray features(InputEncoding encoding, int n) {
        return encoding.features(images(n), 0, n);
    }

    /**
     * A pruned-looking CNN: widths no built-in model has (13/29/17 channels, dense 50), a conv with bias and one
     * without, a stride-2 Same conv (asymmetric padding) with its own ReLU, and non-trivial batch-norm statistics.
     */
    static MultiLayerNetwork oddCnn(long seed) {
        Backend.init();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv1").nOut(13).hasBias(true)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().name("bn1").eps(1e-3).build())
                .layer(new ActivationLayer.Builder().name("relu1").activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool1").kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv2").nOut(29).hasBias(false)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().name("bn2").build())
                .layer(new ActivationLayer.Builder().name("relu2").activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv3").nOut(17).stride(2, 2).hasBias(true)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool2").kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().name("dense1").nOut(50).activation(Activation.RELU).dropOut(0.75).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(FashionMnist.CLASSES)
                        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                .setInputType(IMAGE)
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(seed);
        for (String bn : new String[]{"bn1", "bn2"}) {
            var l = net.getLayer(bn);
            long c = l.getParam("mean").length();
            // assign, not setParam: edit the parameter views in place
            l.getParam("mean").assign(Nd4j.rand(DataType.FLOAT, 1, c).muli(0.4).subi(0.2));
            // M2.1 batch norm keeps log10(std) by default, not the variance: std in [0.6, 1.4]
            l.getParam("log10stdev").assign(Transforms.log(Nd4j.rand(DataType.FLOAT, 1, c).muli(0.8).addi(0.6), 10, false));
            l.getParam("gamma").assign(Nd4j.rand(DataType.FLOAT, 1, c).addi(0.5));
            l.getParam("beta").assign(Nd4j.rand(DataType.FLOAT, 1, c).muli(0.4).subi(0.2));
        }
        for (String conv : new String[]{"conv1", "conv3"}) {
            var b = net.getLayer(conv).getParam("b");
            b.assign(Nd4j.rand(DataType.FLOAT, b.shape()).muli(0.2).subi(0.1));
        }
        return net;
    }

    /** Self-attention with 3 heads of 10 (head size not nOut / heads), nOut 24, then max over time, dense 50. */
    static MultiLayerNetwork oddAttention(long seed) {
        Backend.init();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).weightInit(WeightInit.XAVIER).list()
                .layer(new SelfAttentionLayer.Builder().name("attention").nOut(24).nHeads(3).headSize(10).projectInput(true).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.MAX).name("pool").build())
                .layer(new DenseLayer.Builder().name("dense1").nOut(50).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(FashionMnist.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(ROW_TOKENS)
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        // Xavier keeps the scores small; larger weights make the softmax over keys peaky, a harder test of the scaling
        net.getLayer("attention").getParam("Wq").muli(3);
        net.getLayer("attention").getParam("Wk").muli(3);
        return net;
    }

    static double maxAbsDiff(INDArray a, INDArray b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shapes differ: " + java.util.Arrays.toString(a.shape()) + " vs " + java.util.Arrays.toString(b.shape()));
        }
        return Transforms.abs(a.castTo(DataType.FLOAT).sub(b.castTo(DataType.FLOAT)), false).maxNumber().doubleValue();
    }
}
