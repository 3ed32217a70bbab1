package dev.squeeze.model;

import dev.squeeze.SqueezeException;
import dev.squeeze.data.Augmentation;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.data.SampleShape;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The baseline networks squeeze trains (and, but for {@link #MLP}, ships): three sequential ones ({@link MultiLayerNetwork}) and two
 * graphs ({@link ComputationGraph}) with residual adds and depthwise convolutions. Each is built for a
 * {@link Signature}: the image architectures for any {@code [C, H, W]} and class count, the MLP for any {@code [D]} row,
 * attention for Fashion-MNIST's {@code [1, 28, 28]} only (its tokens are the 28 rows); built for {@link Signature#FASHION_MNIST} they are the shipped
 * models' networks.
 */
public enum Architecture {
    /** Two conv-BN-ReLU-pool stages and a dense layer: 0.91+ on Fashion-MNIST. */
    CNN("fashion-cnn", InputEncoding.IMAGE, Augmentation.NONE),
    /** Multi-head self-attention over the 28 image rows (with one-hot row positions), then dense layers. */
    ATTENTION("fashion-attention", InputEncoding.ROW_TOKENS, Augmentation.NONE),
    /**
     * A stem conv and three residual stages (32 channels at 14x14, 64 at 7x7, 128 at 4x4 on 28x28 images), each one basic block
     * (two 3x3 conv-BN, the first with stride 2) whose shortcut is a 1x1 stride-2 conv + BN, then global average
     * pooling and the classifier.
     */
    RESNET("fashion-resnet", InputEncoding.IMAGE, Augmentation.SHIFT_AND_FLIP),
    /**
     * A stem conv and six depthwise-separable blocks (3x3 depthwise conv-BN-ReLU, 1x1 pointwise conv-BN-ReLU),
     * every other one with stride 2 (28 -> 14 -> 7 -> 4), then global average pooling and the classifier.
     */
    MOBILENET("fashion-mobilenet", InputEncoding.IMAGE, Augmentation.SHIFT_AND_FLIP),
    /**
     * Two ReLU dense layers (256 and 128 units) and the classifier, for rows of features ({@code [D]} samples: CSV rows,
     * flat NPY arrays), the model a user with tabular data starts from. Not shipped: nothing names it for Fashion-MNIST.
     */
    MLP("mlp", InputEncoding.IMAGE, Augmentation.NONE);

    /** ResNet stages: output channels; every stage starts with a stride-2 block. */
    private static final int[] RESNET_STAGES = {32, 64, 128};
    private static final int STEM_CHANNELS = 32;
    /** MobileNet blocks: pointwise output channels and depthwise stride. */
    private static final int[][] MOBILENET_BLOCKS = {{64, 2}, {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}};

    private static final int WARMUP_PIECES = 4;
    private static final int SCHEDULE_PIECES = 50;
    /** MLP hidden layers' units. */
    private static final int[] MLP_UNITS = {256, 128};
    /** The smallest image side the image architectures take: the CNN's two 2x2 poolings need 4. */
    private static final int MIN_SIDE = 4;

    private final String builtInName;
    private final InputEncoding encoding;
    private final Augmentation augmentation;

    Architecture(String builtInName, InputEncoding encoding, Augmentation augmentation) {
        this.builtInName = builtInName;
        this.encoding = encoding;
        this.augmentation = augmentation;
    }

    public String builtInName() {
        return builtInName;
    }

    public InputEncoding encoding() {
        return encoding;
    }

    /** The shipped model's input tensor: {@link #inputShape(Signature)} of Fashion-MNIST. */
    public TensorShape inputShape() {
        return inputShape(Signature.FASHION_MNIST);
    }

    /** The network's input tensor for data of this signature: the sample itself, or attention's [28 rows, 56 features]. */
    public TensorShape inputShape(Signature data) {
        checkFits(data);
        if (encoding == InputEncoding.ROW_TOKENS) return TensorShape.of(InputEncoding.ROW_TOKEN_IMAGE.dim(1), InputEncoding.ROW_TOKEN_FEATURES);
        return new TensorShape(data.sample().dims());
    }

    /**
     * Refuses, in one line, data this architecture cannot be built for: attention reads {@code [1, 28, 28]} only, the
     * others {@code [C, H, W]} images of at least {@value #MIN_SIDE}x{@value #MIN_SIDE}; every one needs labels of at
     * least two classes.
     */
    public void checkFits(Signature data) {
        SampleShape s = data.sample();
        String problem = null;
        if (encoding == InputEncoding.ROW_TOKENS && !s.equals(InputEncoding.ROW_TOKEN_IMAGE)) {
            problem = "reads " + InputEncoding.ROW_TOKEN_IMAGE + " grey images (one token per row); use --arch cnn, resnet or mobilenet";
        } else if (this == MLP) {
            if (s.rank() != 1) problem = "reads rows of features ([D] samples); use --arch cnn, resnet or mobilenet for images";
        } else if (!s.isImage()) {
            problem = "reads [C, H, W] images; use --arch mlp for rows of features";
        } else if (s.dim(1) < MIN_SIDE || s.dim(2) < MIN_SIDE) {
            problem = "needs images of at least " + MIN_SIDE + "x" + MIN_SIDE + "; resize them (input.resize in a data file)";
        } else if (data.classes() < 2) {
            problem = "trains on labels of at least two classes; give the data labels (class subfolders, a label column or a labels file)";
        }
        if (problem != null) throw new SqueezeException(label() + " " + problem + " (the data gives " + data + ")");
    }

    /**
     * The name a model of this architecture gets: the shipped model's ({@link #builtInName}) for Fashion-MNIST, else the
     * architecture and the signature ({@code resnet-3x32x32-10}, {@code mlp-784-10}).
     */
    public String modelName(Signature data) {
        if (data.equals(Signature.FASHION_MNIST) && this != MLP) return builtInName;
        return label() + "-" + new TensorShape(data.sample().dims()) + "-" + data.classes();
    }

    /** What the trainer does to each epoch's images. */
    public Augmentation augmentation() {
        return augmentation;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Architecture parse(String s) {
        for (Architecture a : values()) {
            if (a.label().equals(s) || a.builtInName.equals(s)) return a;
        }
        throw new IllegalArgumentException("unknown architecture '" + s + "': use "
                + Arrays.stream(values()).map(Architecture::label).collect(Collectors.joining(", ")));
    }

    /** The shipped model's untrained network: {@link #build(Signature, long, int, int)} for Fashion-MNIST. */
    public Model build(long seed, int batchesPerEpoch, int epochs) {
        return build(Signature.FASHION_MNIST, seed, batchesPerEpoch, epochs);
    }

    /**
     * An untrained network for data of signature {@code data}, weights initialised from {@code seed}: a
     * {@link MultiLayerNetwork} for {@link #CNN}, {@link #ATTENTION} and {@link #MLP}, a {@link ComputationGraph} for {@link #RESNET}
     * and {@link #MOBILENET}. The learning rate schedule is fitted to a run of {@code epochs} epochs of
     * {@code batchesPerEpoch} batches.
     */
    public Model build(Signature data, long seed, int batchesPerEpoch, int epochs) {
        TensorShape in = inputShape(data);
        return switch (this) {
            case CNN, ATTENTION, MLP -> sequential(in, data.classes(), seed, batchesPerEpoch);
            case RESNET, MOBILENET -> graph(in, data.classes(), seed, batchesPerEpoch, epochs);
        };
    }

    private MultiLayerNetwork sequential(TensorShape in, int classes, long seed, int batchesPerEpoch) {
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
                    .layer(output(classes))
                    .setInputType(Dl4jGraphs.toInputType(in))
                    .build();
            case ATTENTION -> base
                    .layer(new SelfAttentionLayer.Builder().name("attention").nOut(64).nHeads(4).headSize(16)
                            .projectInput(true).build())
                    .layer(new GlobalPoolingLayer.Builder(PoolingType.MAX).name("pool").build())
                    .layer(new DenseLayer.Builder().name("dense1").nOut(128).activation(Activation.RELU).build())
                    .layer(output(classes))
                    .setInputType(Dl4jGraphs.toInputType(in))
                    .build();
            case MLP -> base
                    .layer(new DenseLayer.Builder().name("dense1").nOut(MLP_UNITS[0]).activation(Activation.RELU).build())
                    .layer(new DenseLayer.Builder().name("dense2").nOut(MLP_UNITS[1]).activation(Activation.RELU).build())
                    .layer(output(classes))
                    .setInputType(Dl4jGraphs.toInputType(in))
                    .build();
            default -> throw new IllegalStateException(this + " is not sequential");
        };
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private ComputationGraph graph(TensorShape in, int classes, long seed, int batchesPerEpoch, int epochs) {
        ISchedule lr = warmupLinearDecay(2e-3, Math.max(1, batchesPerEpoch / 2), (long) batchesPerEpoch * epochs);
        var g = new Graph(new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(lr))
                .weightInit(WeightInit.RELU)
                .l2(1e-4)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(Dl4jGraphs.toInputType(in)));
        String last = g.convBnRelu("stem", "input", STEM_CHANNELS, 3, 1);
        if (this == RESNET) {
            for (int s = 0; s < RESNET_STAGES.length; s++) last = g.basicBlock("stage" + (s + 1), last, RESNET_STAGES[s], 2);
        } else {
            for (int i = 0; i < MOBILENET_BLOCKS.length; i++) {
                last = g.separable("block" + (i + 1), last, MOBILENET_BLOCKS[i][0], MOBILENET_BLOCKS[i][1]);
            }
        }
        g.b.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last)
                .addLayer("output", output(classes), "pool")
                .setOutputs("output");
        ComputationGraph net = new ComputationGraph(g.b.build());
        net.init();
        return net;
    }

    /**
     * Adam's step size for the graphs: raised to {@code peak} over {@code warmup} steps, then decayed linearly towards
     * zero at the run's last step, so a short run ends at a small step size whatever its length (where BN nets reach
     * their best accuracy). Piecewise constant in {@value #SCHEDULE_PIECES} pieces: DL4J M2.1 cannot read back a
     * model saved with {@code RampSchedule} (it has no JSON creator), and its {@code PolySchedule} computes
     * {@code (1 + i/max)^power}, which grows, so a {@code MapSchedule} is what both decays and survives a save.
     */
    static MapSchedule warmupLinearDecay(double peak, int warmup, long steps) {
        var b = new MapSchedule.Builder(ScheduleType.ITERATION);
        for (int i = 0; i < WARMUP_PIECES; i++) b.add(i * warmup / WARMUP_PIECES, peak * (i + 1) / WARMUP_PIECES);
        long decay = Math.max(1, steps - warmup);
        for (int j = 0; j < SCHEDULE_PIECES; j++) {
            b.add(Math.toIntExact(warmup + j * decay / SCHEDULE_PIECES), peak * (1 - (double) j / SCHEDULE_PIECES));
        }
        return b.build();
    }

    private static OutputLayer output(int classes) {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output").nOut(classes)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build();
    }

    /**
     * Adds named conv/BN/ReLU vertices to a graph. Padding is explicit (never {@link ConvolutionMode#Same}): DL4J pads
     * a stride-2 Same conv on an even input at the bottom and right only, which no symmetric {@code pad} in a
     * {@link LayerGraph} or an ONNX Conv describes.
     */
    private record Graph(ComputationGraphConfiguration.GraphBuilder b) {
        /** {@code name.conv -> name.bn -> name.relu}; returns the last vertex's name. */
        String convBnRelu(String name, String input, int out, int kernel, int stride) {
            String bn = convBn(name + ".conv", name + ".bn", input, out, kernel, stride);
            return relu(name + ".relu", bn);
        }

        /** A conv without bias (BN's beta is the bias) followed by BN; returns the BN's name. */
        String convBn(String conv, String bn, String input, int out, int kernel, int stride) {
            b.addLayer(conv, new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).padding(kernel / 2, kernel / 2)
                    .convolutionMode(ConvolutionMode.Truncate).nOut(out).hasBias(false).activation(Activation.IDENTITY).build(), input);
            b.addLayer(bn, new BatchNormalization.Builder().build(), conv);
            return bn;
        }

        String relu(String name, String input) {
            b.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), input);
            return name;
        }

        /** conv1-bn1-relu1-conv2-bn2, plus a 1x1 conv + BN shortcut (shape changes), added, then ReLU. */
        String basicBlock(String name, String input, int out, int stride) {
            String r1 = relu(name + ".relu1", convBn(name + ".conv1", name + ".bn1", input, out, 3, stride));
            String bn2 = convBn(name + ".conv2", name + ".bn2", r1, out, 3, 1);
            String shortcut = convBn(name + ".proj", name + ".proj_bn", input, out, 1, stride);
            b.addVertex(name + ".add", new ElementWiseVertex(ElementWiseVertex.Op.Add), bn2, shortcut);
            return relu(name + ".relu2", name + ".add");
        }

        /** Depthwise 3x3 conv-BN-ReLU, then pointwise 1x1 conv-BN-ReLU. */
        String separable(String name, String input, int out, int stride) {
            b.addLayer(name + ".dw", new DepthwiseConvolution2D.Builder(3, 3).stride(stride, stride).padding(1, 1)
                    .convolutionMode(ConvolutionMode.Truncate).depthMultiplier(1).hasBias(false)
                    .activation(Activation.IDENTITY).build(), input);
            b.addLayer(name + ".dw_bn", new BatchNormalization.Builder().build(), name + ".dw");
            String r = relu(name + ".dw_relu", name + ".dw_bn");
            return relu(name + ".pw_relu", convBn(name + ".pw", name + ".pw_bn", r, out, 1, 1));
        }
    }
}
