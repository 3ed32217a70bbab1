package dev.squeeze.model;

import dev.squeeze.data.InputEncoding;
import dev.squeeze.data.Images;
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
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

import java.util.Locale;

/** The baseline networks squeeze trains and ships. */
public enum Architecture {
    /** Two conv-BN-ReLU-pool stages and a dense layer: 0.91+ on Fashion-MNIST. */
    CNN("fashion-cnn", InputEncoding.IMAGE, TensorShape.of(1, Images.ROWS, Images.COLS)),
    /** Multi-head self-attention over the 28 image rows (with one-hot row positions), then dense layers. */
    ATTENTION("fashion-attention", InputEncoding.ROW_TOKENS, TensorShape.of(Images.ROWS, InputEncoding.ROW_TOKEN_FEATURES));

    private final String builtInName;
    private final InputEncoding encoding;
    private final TensorShape inputShape;

    Architecture(String builtInName, InputEncoding encoding, TensorShape inputShape) {
        this.builtInName = builtInName;
        this.encoding = encoding;
        this.inputShape = inputShape;
    }

    public String builtInName() {
        return builtInName;
    }

    public InputEncoding encoding() {
        return encoding;
    }

    public TensorShape inputShape() {
        return inputShape;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Architecture parse(String s) {
        for (Architecture a : values()) {
            if (a.label().equals(s) || a.builtInName.equals(s)) return a;
        }
        throw new IllegalArgumentException("unknown architecture '" + s + "': use cnn or attention");
    }

    /** An untrained network, weights initialised from {@code seed}. */
    public MultiLayerNetwork build(long seed, int batchesPerEpoch) {
        // Adam 1e-3, divided by 3 every 3 epochs: the usual recipe that takes these nets past the public baselines.
        var lr = new StepSchedule(ScheduleType.ITERATION, 1e-3, 1.0 / 3, 3L * batchesPerEpoch);
        var base = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(lr))
                .weightInit(WeightInit.RELU)
                .l2(1e-4)
                .list();
        MultiLayerConfiguration conf = switch (this) {
            case CNN -> base
                    .layer(new ConvolutionLayer.Builder(3, 3).name("conv1").nOut(32).hasBias(false)
                            .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().name("bn1").build())
                    .layer(new ActivationLayer.Builder().name("relu1").activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool1").kernelSize(2, 2).stride(2, 2).build())
                    .layer(new ConvolutionLayer.Builder(3, 3).name("conv2").nOut(64).hasBias(false)
                            .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                    .layer(new BatchNormalization.Builder().name("bn2").build())
                    .layer(new ActivationLayer.Builder().name("relu2").activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool2").kernelSize(2, 2).stride(2, 2).build())
                    .layer(new DenseLayer.Builder().name("dense1").nOut(128).activation(Activation.RELU).dropOut(0.75).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(Images.CLASSES)
                            .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                    .setInputType(InputType.convolutional(Images.ROWS, Images.COLS, 1))
                    .build();
            case ATTENTION -> base
                    .layer(new SelfAttentionLayer.Builder().name("attention").nOut(64).nHeads(4).headSize(16)
                            .projectInput(true).build())
                    .layer(new GlobalPoolingLayer.Builder(PoolingType.MAX).name("pool").build())
                    .layer(new DenseLayer.Builder().name("dense1").nOut(128).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(Images.CLASSES)
                            .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                    .setInputType(InputType.recurrent(InputEncoding.ROW_TOKEN_FEATURES, Images.ROWS))
                    .build();
        };
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
