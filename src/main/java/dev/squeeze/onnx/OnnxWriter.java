package dev.squeeze.onnx;

import dev.squeeze.model.compress.ActivationQuant;
import dev.squeeze.model.compress.BatchNormStats;
import dev.squeeze.model.compress.Deployment;
import dev.squeeze.model.compress.Deployment.Form;
import dev.squeeze.model.compress.Networks;
import dev.squeeze.model.compress.Topology;
import dev.squeeze.model.compress.Quantization;
import dev.squeeze.model.compress.WeightQuant;

import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.TensorShape;
import onnx.Onnx;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.RnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a DL4J network, a {@link MultiLayerNetwork} or a {@link ComputationGraph} (walked in its {@link Topology}
 * order: layers, each written by its class's {@link Emitter}, residual adds and concats), as an ONNX model (opset 13, IR version
 * 7) that computes what {@code net.output(x, false)} computes: input {@value #INPUT} in DL4J's layout with a dynamic batch dimension,
 * output {@value #OUTPUT}. Weights are copied as float32, except those named in a weight-quantisation map, which
 * are stored as a deployment ships them, in the form {@link Deployment} gives each: for an integer kernel, int8
 * codes (INT4 codes widened by a {@code Cast} below 5 bits, which needs opset {@value #INT4_OPSET} / IR
 * {@value #INT4_IR_VERSION}) and per-channel scales feeding a {@code DequantizeLinear}, which ONNX Runtime fuses with
 * the op and its neighbours' QuantizeLinear/DequantizeLinear into QLinearConv / QGemm / MatMulIntegerToFloat; for
 * dense and attention weights below 5 bits, a com.microsoft {@code MatMulNBits}; for float arithmetic, codes (or
 * float16 values) through {@code Cast} and {@code Mul}, which ONNX Runtime folds into float weights when it loads
 * the model. After each layer named in the QDQ map, that layer's {@link ActivationQuant} is inserted as uint8
 * QuantizeLinear/DequantizeLinear, with a uint8 {@code Clip} of the codes below 8 bits (after any max pooling: ONNX
 * Runtime keeps the integer kernels and NHWC pooling fused around it). A depthwise convolution is a Conv (or, fused,
 * QLinearConv) whose group is its channel count; a batch norm after an integer-weight convolution is folded into it; a
 * residual add whose inputs and output are quantised is DequantizeLinear -> Add -> QuantizeLinear, which ONNX Runtime
 * fuses into com.microsoft QLinearAdd.
 *
 * <p>Every layer's output keeps DL4J's layout (NCHW images, NCW sequences), so a per-layer comparison with DL4J
 * needs no transposes and the QDQ sits on exactly the tensor DL4J's layer returns.
 */
public final class OnnxWriter {
    public static final String INPUT = "input";
    public static final String OUTPUT = "probabilities";
    public static final int OPSET = 13;
    public static final int IR_VERSION = 7;
    /** Cast takes INT4 from opset 21; opset 21 needs IR version 10. */
    public static final int INT4_OPSET = 21;
    public static final int INT4_IR_VERSION = 10;

    /** A compressed model as it ships: integer weights with their scales, activation quantisers, pruned widths. */
    public static byte[] write(dev.squeeze.model.compress.CompressedModel c, InputType inputType) {
        return write(c.network(), inputType, c.activations(), c.weights(), Map.of());
    }

    /** The opset {@link #write(dev.squeeze.model.compress.CompressedModel, InputType)} uses for a compressed model. */
    public static int opset(dev.squeeze.model.compress.CompressedModel c) {
        return usesInt4(Deployment.of(Topology.of(c.network()), c.weights(), c.activations()), c.weights()) ? INT4_OPSET : OPSET;
    }

    /**
     * Whether any weight is stored as INT4 (a 2..4-bit weight that does not run as MatMulNBits, whose codes are uint8),
     * which needs opset 21 and IR version 10.
     */
    private static boolean usesInt4(Deployment deployment, Map<String, Map<String, WeightQuant>> weights) {
        return weights.entrySet().stream().anyMatch(l -> l.getValue().entrySet().stream()
                .anyMatch(k -> k.getValue().bits() <= 4 && deployment.form(l.getKey(), k.getKey()) != Form.NBITS));
    }
    /** TensorProto.DataType INT4 (onnx.proto, IR 10); nd4j-api's generated enum stops at BFLOAT16 = 16. */
    static final int INT4 = 22;
    /** ONNX Runtime's operator domain (MatMulNBits). */
    static final String CONTRIB = "com.microsoft";

    private OnnxWriter() {}

    /** A loaded squeeze model, with the input shape its graph records. */
    public static byte[] write(ModelHandle model, Map<String, ActivationQuant> activationQdq) {
        Map<String, TensorShape> inputs = model.graph().inputs();
        if (inputs.size() != 1) throw new IllegalArgumentException("model '" + model.name() + "' has " + inputs.size() + " inputs; ONNX export supports one");
        return write(model.network(), Dl4jGraphs.toInputType(inputs.values().iterator().next()), activationQdq);
    }

    /**
     * @param inputType     one example's input, as DL4J describes it (a MultiLayerConfiguration does not record it,
     *                      and pooling is not invertible, so it cannot be inferred from the layers)
     * @param activationQdq layer name to the fake quantisation of that layer's output; layers not named stay float
     */
    public static byte[] write(Model net, InputType inputType, Map<String, ActivationQuant> activationQdq) {
        return write(net, inputType, activationQdq, Map.of(), Map.of());
    }

    /**
     * As {@link #write(MultiLayerNetwork, InputType, Map)}, with integer (or float16) weights.
     *
     * @param weights layer name to parameter key to how that weight was quantised, as
     *                {@code Compressor} returns it; the network must hold exactly {@code code * scale} (or the
     *                float16 value) in those weights, so that the model computes what the network computes. The
     *                codes are recomputed as {@code rint(w / scale)} and checked: a weight that is not
     *                {@code code * scale} with {@code |code| <= 2^(bits-1) - 1} is an IllegalArgumentException
     *                naming the layer.
     */
    public static byte[] write(Model net, InputType inputType, Map<String, ActivationQuant> activationQdq,
                               Map<String, Map<String, WeightQuant>> weights) {
        return write(net, inputType, activationQdq, weights, Map.of());
    }

    /** What an extra graph output reads from a layer (after its QDQ, if any). */
    public enum Tap {
        /** The whole output tensor, as a graph output named like the layer. */
        VALUES,
        /** Only its minimum and maximum, as scalar outputs {@link #min} and {@link #max}: what min/max calibration needs. */
        RANGE
    }

    /** The graph output holding a {@link Tap#RANGE} layer's minimum. */
    public static String min(String layer) {
        return layer + "/min";
    }

    public static String max(String layer) {
        return layer + "/max";
    }

    /**
     * As {@link #write(MultiLayerNetwork, InputType, Map)}; with {@code layerOutputs}, every layer's output (after its
     * QDQ) is also a graph output named like the layer, so a disagreement with DL4J can be traced to one layer.
     */
    static byte[] write(Model net, InputType inputType, Map<String, ActivationQuant> activationQdq, boolean layerOutputs) {
        var taps = new HashMap<String, Tap>();
        if (layerOutputs) for (String name : Topology.of(net).names()) taps.put(name, Tap.VALUES);
        return write(net, inputType, activationQdq, Map.of(), taps);
    }

    /**
     * As {@link #write(Model, InputType, Map, Map)}, with extra graph outputs tapping the named layers. The
     * input is quantised on its grid (the quantiser under the input's name) first when the first layer runs an integer kernel.
     */
    public static byte[] write(Model net, InputType inputType, Map<String, ActivationQuant> activationQdq,
                               Map<String, Map<String, WeightQuant>> weights, Map<String, Tap> taps) {
        Topology t = Topology.of(net);
        List<String> names = t.names();
        checkKnown("activation QDQ", activationQdq.keySet(), java.util.stream.Stream.concat(names.stream(), java.util.stream.Stream.of(t.input())).toList());
        checkKnown("weight quantisation", weights.keySet(), names);
        checkKnown("graph output", taps.keySet(), names);
        for (var e : weights.entrySet()) {
            for (var k : e.getValue().entrySet()) {
                int b = k.getValue().bits();
                if (b != 16 && (b < 2 || b > 8)) {
                    throw new IllegalArgumentException("layer '" + e.getKey() + "' weight " + k.getKey() + ": " + b + " bits; export takes 2..8 or 16");
                }
            }
        }
        Deployment deployment = Deployment.of(t, weights, activationQdq);
        ActivationQuant inputGrid = deployment.inputGrid();
        boolean int4 = usesInt4(deployment, weights);
        if (taps.containsValue(Tap.VALUES) && (names.contains(INPUT) || names.contains(OUTPUT))) {
            throw new IllegalArgumentException("a layer named '" + INPUT + "' or '" + OUTPUT + "' cannot also be a graph output");
        }
        long classes = outputWidth(net, inputType); // also DL4J's own check that this input fits the network
        var layers = Networks.layersByName(net);

        var g = new Graph(int4 ? INT4_OPSET : OPSET);
        long[] shape = inputType.getShape(false);
        g.proto.addInput(valueInfo(INPUT, concat(-1, shape)));
        Value x0 = new Value(INPUT, shape.length + 1);
        if (inputGrid != null) x0 = qdq(g, INPUT, x0, inputGrid, true, true);
        var outs = new HashMap<String, Out>(); // every node's output, as its readers find it
        outs.put(t.input(), new Out(x0, inputGrid, null));
        var folded = new HashMap<String, String>(); // batch norm -> the convolution it is folded into
        for (Topology.Node n : t.nodes()) {
            String name = n.name();
            var params = new Params(name, n.isLayer() ? layers.get(name).paramTable() : Map.of(), weights.getOrDefault(name, Map.of()), deployment);
            Value x;
            ActivationQuant grid = null; // the quantiser whose grid x lies on (after a QDQ, kept by max pooling and reshapes), or null
            ActivationQuant unclipped = null; // grid, when x's codes still await the clip to its b-bit range (after a max pooling)
            if (folded.containsKey(name)) {
                x = outs.get(n.input()).value(); // the batch norm is inside the convolution now: it adds no op
            } else if (n.isLayer()) {
                Out in = outs.get(n.input());
                x = preprocess(g, n.preprocessor(), in.value(), name);
                if (in.unclipped() != null && !Deployment.keepsGrid(n.layer())) {
                    x = clipCodes(g, name, x, in.unclipped(), integerReader(t, n.input(), weights, deployment));
                }
                Deployment.Fold fold = Deployment.fold(net, t, name, params.quant.get("W"));
                if (fold != null) {
                    x = conv(g, (ConvolutionLayer) n.layer(), name, params, x, fold, in.grid());
                    folded.put(Deployment.foldedInto(t, name), name);
                } else {
                    x = emitter(n.layer(), name).emit(g, n.layer(), name, params, x, in.grid());
                    if (Deployment.keepsGrid(n.layer())) {
                        grid = in.grid();
                        unclipped = in.unclipped();
                    }
                }
            } else if (n.kind() == Topology.Kind.CONCAT) {
                x = concat(g, n, outs);
            } else {
                x = add(g, n, outs, deployment.integerAdd(name));
            }
            params.checkAllUsed();
            if (folded.containsValue(name)) { // the convolution's own output is its batch norm's: quantisers and taps sit there
                outs.put(name, new Out(x, null, null));
                continue;
            }
            ActivationQuant q = activationQdq.get(name);
            Tap tap = taps.get(name);
            if (q != null) {
                // below 8 bits the codes are clipped to the b-bit range after a max pooling that follows, not before it:
                // the two commute, and ONNX Runtime then keeps the pooling in NHWC on uint8 (measured: a Clip between a
                // QLinearConv and its pooling made it transpose to NCHW and pool there, its slow path)
                var next = t.chained(name);
                boolean defer = !q.isFloat16() && q.levels() < 255 && tap == null && next.isPresent() && Deployment.keepsGrid(next.get().layer());
                x = qdq(g, name, x, q, !defer, defer || integerReader(t, name, weights, deployment));
                grid = q.isFloat16() ? null : q;
                unclipped = defer ? q : null;
            }
            if (tap != null && unclipped != null) {
                x = clipCodes(g, name, x, unclipped, integerReader(t, name, weights, deployment));
                unclipped = null;
            }
            if (tap == Tap.VALUES) {
                g.proto.addNode(node("Identity", List.of(x.name), name));
                g.proto.addOutput(valueInfo(name, null));
                x = new Value(name, x.rank);
            } else if (tap == Tap.RANGE) {
                // no axes: reduce over every dimension to one scalar (the same at opset 13 and 21)
                g.proto.addNode(node("ReduceMin", List.of(x.name), min(name), attr("keepdims", 0)));
                g.proto.addNode(node("ReduceMax", List.of(x.name), max(name), attr("keepdims", 0)));
                g.proto.addOutput(valueInfo(min(name), new long[0]));
                g.proto.addOutput(valueInfo(max(name), new long[0]));
            }
            outs.put(name, new Out(x, grid, unclipped));
        }
        String last = t.output().name();
        Out result = outs.get(last);
        Value x = result.unclipped() != null ? clipCodes(g, last, result.value(), result.unclipped(), false) : result.value();
        if (x.rank != 2) throw new IllegalArgumentException("the last layer '" + last + "' outputs rank " + x.rank + "; ONNX export expects [batch, classes]");
        g.proto.addNode(node("Identity", List.of(x.name), OUTPUT));
        g.proto.addOutput(valueInfo(OUTPUT, new long[]{-1, classes}));
        var model = Onnx.ModelProto.newBuilder().setIrVersion(int4 ? INT4_IR_VERSION : IR_VERSION).setProducerName("squeeze")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(g.opset));
        if (g.contrib) model.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(CONTRIB).setVersion(1));
        return model.setGraph(g.proto).build().toByteArray();
    }

    /** A node's output as its readers find it: its value, the grid it lies on (or null), and a clip still owed (or null). */
    private record Out(Value value, ActivationQuant grid, ActivationQuant unclipped) {}

    /** Values per example of the network's output, from DL4J's shape inference (which also checks the input fits). */
    private static long outputWidth(Model net, InputType inputType) {
        if (net instanceof MultiLayerNetwork m) {
            List<InputType> types = m.getLayerWiseConfigurations().getLayerActivationTypes(inputType);
            return types.get(types.size() - 1).arrayElementsPerExample();
        }
        var conf = ((ComputationGraph) net).getConfiguration();
        return conf.getLayerActivationTypes(inputType).get(conf.getNetworkOutputs().get(0)).arrayElementsPerExample();
    }

    /**
     * A residual add. When it runs as an integer op (every input on an integer grid, its block's output quantised) its
     * inputs are DequantizeLinear outputs already, and ONNX Runtime fuses DequantizeLinear -> Add -> QuantizeLinear into
     * com.microsoft QLinearAdd.
     */
    private static Value add(Graph g, Topology.Node n, Map<String, Out> outs, boolean integer) {
        List<Value> inputs = merged(g, n, outs, integer);
        return new Value(g.node("Add", n.name() + "/add", names(inputs)), inputs.get(inputs.size() - 1).rank);
    }

    /** A merging node's inputs, each clipped to its codes' range first where its producer left it unclipped. */
    private static List<Value> merged(Graph g, Topology.Node n, Map<String, Out> outs, boolean integer) {
        var inputs = new ArrayList<Value>();
        for (String in : n.inputs()) {
            Out o = outs.get(in);
            inputs.add(o.unclipped() != null ? clipCodes(g, n.name() + "/" + in, o.value(), o.unclipped(), integer) : o.value());
        }
        return inputs;
    }

    private static List<String> names(List<Value> values) {
        return values.stream().map(v -> v.name).toList();
    }

    /**
     * A concat (DL4J's MergeVertex) along the channels of NCHW images or the features of [N, D] vectors. Its output lies on
     * no grid (each input has its own quantiser), so quantised inputs reach it dequantised and its reader runs float.
     */
    private static Value concat(Graph g, Topology.Node n, Map<String, Out> outs) {
        List<Value> inputs = merged(g, n, outs, false);
        return new Value(g.node("Concat", n.name() + "/concat", names(inputs), attr("axis", 1)), inputs.get(inputs.size() - 1).rank);
    }

    private static void checkKnown(String what, Set<String> asked, List<String> names) {
        Set<String> unknown = new LinkedHashSet<>(asked);
        names.forEach(unknown::remove);
        if (!unknown.isEmpty()) throw new IllegalArgumentException(what + " for unknown layer(s) " + unknown + "; layers: " + names);
    }

    /** A value in the graph and its rank (batch included). */
    private record Value(String name, int rank) {}

    private static Value preprocess(Graph g, InputPreProcessor p, Value x, String layer) {
        if (p == null) return x;
        if (p instanceof CnnToFeedForwardPreProcessor c) {
            // DL4J dups NCHW activations in 'c' order and reshapes to [N, C*H*W]: a row-major reshape to [N, -1] is that
            // order. Reshape rather than Flatten: ONNX Runtime moves a DequantizeLinear forward through Reshape (not
            // Flatten), so an integer dense layer after it reads codes and runs as one integer GEMM.
            if (c.getFormat() != CNN2DFormat.NCHW) throw unsupported(layer, "input preprocessor with " + c.getFormat() + " data");
            return new Value(g.node("Reshape", layer + "/flatten", List.of(x.name, g.ints(layer + "/flatten_shape", 0, -1))), 2);
        }
        if (p instanceof RnnToFeedForwardPreProcessor && x.rank == 2) {
            // DL4J M2.1 infers a sequence type after global pooling and adds this, but it passes rank-2 data through
            return x;
        }
        throw unsupported(layer, "input preprocessor " + p.getClass().getSimpleName() + " on rank-" + x.rank + " data");
    }

    /** How one DL4J layer class becomes ONNX nodes: {@code x} is its input, on {@code grid} (null: on none). */
    @FunctionalInterface
    private interface Emitter {
        Value emit(Graph g, Layer layer, String name, Params params, Value x, ActivationQuant grid);
    }

    /** The emitter of each layer class export writes (exact classes: a subclass computes something else). */
    private static final Map<Class<? extends Layer>, Emitter> EMITTERS = Map.ofEntries(
            Map.entry(ConvolutionLayer.class, (g, l, name, p, x, grid) -> conv(g, (ConvolutionLayer) l, name, p, x, null, grid)),
            Map.entry(DepthwiseConvolution2D.class, (g, l, name, p, x, grid) -> conv(g, (ConvolutionLayer) l, name, p, x, null, grid)),
            Map.entry(SubsamplingLayer.class, (g, l, name, p, x, grid) -> pool(g, (SubsamplingLayer) l, name, x)),
            Map.entry(BatchNormalization.class, (g, l, name, p, x, grid) -> batchNorm(g, (BatchNormalization) l, name, p, x)),
            Map.entry(ActivationLayer.class, (g, l, name, p, x, grid) -> activation(g, ((ActivationLayer) l).getActivationFn(), name, x)),
            Map.entry(DropoutLayer.class, (g, l, name, p, x, grid) -> x), // inverted dropout: the identity at inference
            Map.entry(DenseLayer.class, (g, l, name, p, x, grid) -> {
                if (((DenseLayer) l).hasLayerNorm()) throw unsupported(name, "dense layer with layer norm");
                return dense(g, (BaseLayer) l, name, p, x, grid);
            }),
            Map.entry(OutputLayer.class, (g, l, name, p, x, grid) -> dense(g, (BaseLayer) l, name, p, x, grid)),
            Map.entry(GlobalPoolingLayer.class, (g, l, name, p, x, grid) -> globalPool(g, (GlobalPoolingLayer) l, name, x)),
            Map.entry(SelfAttentionLayer.class, (g, l, name, p, x, grid) -> attention(g, (SelfAttentionLayer) l, name, p, x)));

    private static Emitter emitter(Layer layer, String name) {
        Emitter e = EMITTERS.get(layer.getClass());
        if (e == null) throw unsupported(name, layer.getClass().getSimpleName());
        return e;
    }

    /**
     * @param fold a batch norm to fold in (null: none)
     * @param grid the input's quantiser, when the input lies on its grid; with integer weights the bias is then
     *             stored as int32 at scale input scale x weight scale, as ONNX Runtime's integer convolution needs it
     */
    private static Value conv(Graph g, ConvolutionLayer c, String name, Params p, Value x, Deployment.Fold fold, ActivationQuant grid) {
        if (c.getCnn2dDataFormat() != CNN2DFormat.NCHW) throw unsupported(name, "convolution on " + c.getCnn2dDataFormat() + " data");
        Form form = p.form("W");
        var attrs = new ArrayList<>(List.of(attr("kernel_shape", c.getKernelSize()), attr("strides", c.getStride()),
                attr("dilations", c.getDilation())));
        attrs.add(padding(c.getConvolutionMode(), c.getPadding(), name));
        String weight;
        if (c instanceof DepthwiseConvolution2D) {
            // DL4J [kH, kW, C, multiplier] -> ONNX [C * multiplier, 1, kH, kW] with group C: output channel c * multiplier + m in both
            INDArray w = p.get("W");
            long[] k = w.shape();
            INDArray onnx = w.permute(2, 3, 0, 1).dup('c').reshape('c', k[2] * k[3], 1, k[0], k[1]);
            weight = p.weight(g, "W", onnx, 2, 0, fold == null ? null : fold.scale(), form);
            dev.squeeze.model.Backend.release(onnx);
            attrs.add(attr("group", k[2]));
        } else {
            // [nOut, nIn, kH, kW], as ONNX wants it: output channels on axis 0 in both
            weight = p.weight(g, "W", p.get("W"), 0, 0, fold == null ? null : fold.scale(), form);
        }
        List<String> inputs = new ArrayList<>(List.of(x.name, weight));
        float[] bias = c.hasBias() ? floats(p.get("b")) : null; // DL4J [1, nOut], ONNX [nOut]
        if (fold != null) {
            float[] folded = new float[fold.shift().length];
            for (int k = 0; k < folded.length; k++) folded[k] = (bias == null ? 0 : bias[k] * fold.scale()[k]) + fold.shift()[k];
            bias = folded;
        }
        if (bias != null) inputs.add(bias(g, name, bias, form == Form.INT8 ? p.scales("W") : null, grid));
        String y = g.node("Conv", name + "/conv", inputs, attrs.toArray(Onnx.AttributeProto[]::new));
        return activation(g, c.getActivationFn(), name, new Value(y, 4));
    }

    /** DL4J's Same mode pads like TensorFlow (any odd pixel at the bottom/right): ONNX SAME_UPPER. */
    private static Onnx.AttributeProto padding(ConvolutionMode mode, int[] pad, String name) {
        return switch (mode) {
            case Same -> attr("auto_pad", "SAME_UPPER");
            case Truncate, Strict -> attr("pads", new int[]{pad[0], pad[1], pad[0], pad[1]});
            default -> throw unsupported(name, mode + " convolution mode");
        };
    }

    private static Value pool(Graph g, SubsamplingLayer s, String name, Value x) {
        if (s.getCnn2dDataFormat() != CNN2DFormat.NCHW) throw unsupported(name, "pooling on " + s.getCnn2dDataFormat() + " data");
        if (s.getDilation()[0] != 1 || s.getDilation()[1] != 1) throw unsupported(name, "dilated pooling");
        var attrs = List.of(attr("kernel_shape", s.getKernelSize()), attr("strides", s.getStride()),
                padding(s.getConvolutionMode(), s.getPadding(), name));
        String y = switch (s.getPoolingType()) {
            case MAX -> g.node("MaxPool", name + "/maxpool", List.of(x.name), attrs.toArray(Onnx.AttributeProto[]::new));
            case AVG -> {
                // without padding there is no divisor question (DL4J and ONNX differ in how they count padded cells)
                boolean padded = s.getConvolutionMode() == ConvolutionMode.Same || s.getPadding()[0] != 0 || s.getPadding()[1] != 0;
                if (padded) throw unsupported(name, "average pooling with padding");
                yield g.node("AveragePool", name + "/avgpool", List.of(x.name), attrs.toArray(Onnx.AttributeProto[]::new));
            }
            default -> throw unsupported(name, s.getPoolingType() + " pooling");
        };
        return new Value(y, 4);
    }

    /**
     * A bias: float, or, for an integer kernel (per-channel {@code weightScales}, input on {@code grid}), int32 codes at
     * scale {@code grid.scale * weightScale} through a DequantizeLinear (the form ONNX Runtime's integer convolution and
     * GEMM take). The simulation holds the bias on that grid already ({@link Deployment#roundBiases}), so the codes
     * give it back.
     */
    private static String bias(Graph g, String layer, float[] b, float[] weightScales, ActivationQuant grid) {
        if (weightScales == null || grid == null) return g.floats(layer + "/b", new long[]{b.length}, b);
        float[] scales = new float[b.length];
        byte[] codes = new byte[4 * b.length];
        ByteBuffer raw = ByteBuffer.wrap(codes).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < b.length; k++) {
            scales[k] = grid.scale() * weightScales[k];
            Integer c = Deployment.biasCode(b[k], grid.scale(), weightScales[k]);
            if (c == null) return g.floats(layer + "/b", new long[]{b.length}, b); // cannot happen for sane scales
            raw.putInt(c);
        }
        long[] dims = {b.length};
        String q = g.initializer(layer + "/b_q", Onnx.TensorProto.DataType.INT32_VALUE, dims, codes);
        String s = g.floats(layer + "/b_scale", dims, scales);
        String zp = g.initializer(layer + "/b_zero_point", Onnx.TensorProto.DataType.INT32_VALUE, dims, new byte[4 * b.length]);
        return g.node("DequantizeLinear", layer + "/b_dq", List.of(q, s, zp), attr("axis", 0));
    }

    /** Inference batch norm: {@code gamma * (x - mean) / sqrt(var + eps) + beta} with the running statistics. */
    private static Value batchNorm(Graph g, BatchNormalization bn, String name, Params p, Value x) {
        if (x.rank == 4 && bn.getCnn2DFormat() != CNN2DFormat.NCHW) throw unsupported(name, "batch norm on " + bn.getCnn2DFormat() + " data");
        BatchNormStats stats = BatchNormStats.of(bn, p.table);
        int c = stats.mean().length;
        long[] dims = {c};
        String y = g.node("BatchNormalization", name + "/bn", List.of(x.name, g.floats(name + "/gamma", dims, stats.gamma()),
                        g.floats(name + "/beta", dims, stats.beta()), g.floats(name + "/mean", dims, stats.mean()), g.floats(name + "/var", dims, stats.var())),
                attr("epsilon", (float) bn.getEps()));
        return new Value(y, x.rank);
    }

    private static Value dense(Graph g, BaseLayer d, String name, Params p, Value x, ActivationQuant grid) {
        if (x.rank != 2) throw unsupported(name, "dense layer on rank-" + x.rank + " input");
        boolean bias = d instanceof DenseLayer dl ? dl.hasBias() : ((OutputLayer) d).hasBias();
        Form form = p.form("W");
        String y;
        if (form == Form.NBITS) {
            y = p.nbits(g, "W", x, p.get("W"), 1, bias ? g.floats(name + "/b", p.get("b"), p.get("b").length()) : null);
            if (bias) p.written.add("b");
        } else {
            String w = p.weight(g, "W", p.get("W"), 1, 1, null, form); // [nIn, nOut] in both: output channels on axis 1
            y = bias
                    ? g.node("Gemm", name + "/gemm", List.of(x.name, w, bias(g, name, floats(p.get("b")), form == Form.INT8 ? p.scales("W") : null, grid)))
                    : g.node("MatMul", name + "/matmul", List.of(x.name, w));
        }
        return activation(g, d.getActivationFn(), name, new Value(y, 2));
    }

    private static Value globalPool(Graph g, GlobalPoolingLayer gp, String name, Value x) {
        // DL4J pools over time for sequences [N, C, T] and over H, W for images [N, C, H, W] unless told otherwise
        int[] dims = gp.getPoolingDimensions() != null ? gp.getPoolingDimensions()
                : x.rank == 3 ? new int[]{2} : x.rank == 4 ? new int[]{2, 3} : null;
        if (dims == null) throw unsupported(name, "global pooling on rank-" + x.rank + " input");
        long keep = gp.isCollapseDimensions() ? 0 : 1;
        String y = switch (gp.getPoolingType()) {
            // ReduceMax and ReduceMean take their axes as an input from opset 18 on (the INT4 models are opset 21)
            case MAX -> g.opset >= 18
                    ? g.node("ReduceMax", name + "/max", List.of(x.name, g.ints(name + "/axes", Arrays.stream(dims).asLongStream().toArray())), attr("keepdims", keep))
                    : g.node("ReduceMax", name + "/max", List.of(x.name), attr("axes", dims), attr("keepdims", keep));
            case AVG -> g.opset >= 18
                    ? g.node("ReduceMean", name + "/mean", List.of(x.name, g.ints(name + "/axes", Arrays.stream(dims).asLongStream().toArray())), attr("keepdims", keep))
                    : g.node("ReduceMean", name + "/mean", List.of(x.name), attr("axes", dims), attr("keepdims", keep));
            // ReduceSum takes its axes as an input from opset 13 on
            case SUM -> g.node("ReduceSum", name + "/sum", List.of(x.name, g.ints(name + "/axes", Arrays.stream(dims).asLongStream().toArray())),
                    attr("keepdims", keep));
            default -> throw unsupported(name, gp.getPoolingType() + " global pooling");
        };
        return new Value(y, keep == 1 ? x.rank : x.rank - dims.length);
    }

    /**
     * DL4J M2.1's SelfAttentionLayer with projectInput: {@code multi_head_dot_product_attention(x, x, x, Wq, Wk, Wv, Wo,
     * scaled=true)} on x [N, nIn, T]. Per head h: {@code Q = Wq[h] x} (likewise K, V: [headSize, T]),
     * {@code A = softmax over keys of (K^T Q / sqrt(headSize))}, {@code O_h = V A}; the heads are concatenated
     * head-major (row {@code h*headSize + d}) and projected by {@code Wo} [heads*headSize, nOut]; output [N, nOut, T].
     * No biases. Here computed token-major ([N, T, features]) and transposed back to DL4J's NCW at the end.
     */
    private static Value attention(Graph g, SelfAttentionLayer a, String name, Params p, Value x) {
        if (!a.isProjectInput()) throw unsupported(name, "self-attention without input projection");
        if (x.rank != 3) throw unsupported(name, "self-attention on rank-" + x.rank + " input");
        long heads = a.getNHeads(), hs = a.getHeadSize(), nIn = a.getNIn();
        String xt = g.node("Transpose", name + "/tokens", List.of(x.name), attr("perm", new int[]{0, 2, 1})); // [N, T, nIn]
        String qkvShape = g.ints(name + "/heads_shape", 0, 0, heads, hs); // 0 copies N and T
        String[] proj = new String[3];
        String[] keys = {"Wq", "Wk", "Wv"};
        for (int k = 0; k < 3; k++) {
            // W [heads, hs, nIn] -> [nIn, heads*hs] so that token . W gives column h*hs+d = sum_i W[h, d, i] x_i;
            // the per-(head, position) scales (DL4J axis -1: rows of the [heads*hs, nIn] reshape) follow to axis 1
            INDArray w = p.get(keys[k]).dup('c').reshape('c', new long[]{heads * hs, nIn}).transpose();
            Form form = p.form(keys[k]);
            String m = form == Form.NBITS ? p.nbits(g, keys[k], new Value(xt, 3), w, -1, null)
                    : g.node("MatMul", name + "/" + keys[k].substring(1), List.of(xt, p.weight(g, keys[k], w, -1, 1, null, form)));
            proj[k] = g.node("Reshape", name + "/" + keys[k].substring(1) + "_heads", List.of(m, qkvShape)); // [N, T, H, hs]
        }
        String q = g.node("Transpose", name + "/q_t", List.of(proj[0]), attr("perm", new int[]{0, 2, 1, 3}));     // [N, H, T, hs]
        String kT = g.node("Transpose", name + "/k_t", List.of(proj[1]), attr("perm", new int[]{0, 2, 3, 1}));    // [N, H, hs, T]
        String v = g.node("Transpose", name + "/v_t", List.of(proj[2]), attr("perm", new int[]{0, 2, 1, 3}));     // [N, H, T, hs]
        String scores = g.node("MatMul", name + "/scores", List.of(q, kT));                                      // [N, H, Tq, Tk]
        // DL4J divides the scores by sqrt(headSize) (not the model width); a Div keeps its rounding
        String scaled = g.node("Div", name + "/scaled", List.of(scores, g.floats(name + "/sqrt_head_size", new long[0],
                new float[]{(float) Math.sqrt(hs)})));
        String weights = g.node("Softmax", name + "/softmax", List.of(scaled), attr("axis", 3));                 // over keys
        String heads4 = g.node("MatMul", name + "/attend", List.of(weights, v));                                  // [N, H, Tq, hs]
        String tokens = g.node("Transpose", name + "/concat_t", List.of(heads4), attr("perm", new int[]{0, 2, 1, 3})); // [N, T, H, hs]
        String concat = g.node("Reshape", name + "/concat", List.of(tokens, g.ints(name + "/concat_shape", 0, 0, heads * hs)));
        Form oForm = p.form("Wo");
        String out = oForm == Form.NBITS ? p.nbits(g, "Wo", new Value(concat, 3), p.get("Wo"), 1, null)
                : g.node("MatMul", name + "/o", List.of(concat, p.weight(g, "Wo", p.get("Wo"), 1, 1, null, oForm))); // [N, T, nOut]
        String y = g.node("Transpose", name + "/ncw", List.of(out), attr("perm", new int[]{0, 2, 1}));           // [N, nOut, T]
        return new Value(y, 3);
    }

    /** One layer's DL4J parameters and how its weights were quantised; every quantised weight must be written. */
    private static final class Params {
        final String layer;
        final Map<String, INDArray> table;
        final Map<String, WeightQuant> quant;
        final Set<String> written = new java.util.HashSet<>();
        /** Per-channel scales of the integer weights written, as written (after any fold). */
        final Map<String, float[]> writtenScales = new HashMap<>();

        final Deployment deployment;

        Params(String layer, Map<String, INDArray> table, Map<String, WeightQuant> quant, Deployment deployment) {
            this.layer = layer;
            this.table = table;
            this.quant = quant;
            this.deployment = deployment;
        }

        /** How weight {@code key} runs in ONNX Runtime (FLOAT when not quantised). */
        Form form(String key) {
            return quant.containsKey(key) ? deployment.form(layer, key) : Form.FLOAT;
        }

        INDArray get(String key) {
            return table.get(key);
        }

        /** The scales weight {@code key} was written with, or null if it was written as floats (or float16). */
        float[] scales(String key) {
            return writtenScales.get(key);
        }

        /**
         * The weight {@code key} as the ONNX op reads it: {@code w} is its value already in the op's layout, with
         * the output channels on {@code onnxAxis}; {@code dl4jAxis} is the output-channel axis Compressor records
         * for this weight (checked: scales along any other axis would belong to a different layout).
         */
        String weight(Graph g, String key, INDArray w, int dl4jAxis, int onnxAxis, float[] channelFactors, Form form) {
            written.add(key);
            String base = layer + "/" + key;
            WeightQuant q = quant.get(key);
            if (q == null) return g.floats(base, w);
            float[] values = floats(w);
            long[] dims = w.shape();
            if (q.bits() == 16) {
                byte[] raw = new byte[values.length * 2];
                for (int i = 0; i < values.length; i++) {
                    int h = halfBits(values[i]);
                    if (h < 0) throw notQuantised(key, q, "value " + values[i] + " (index " + i + " in the ONNX layout) is not a float16 value");
                    raw[2 * i] = (byte) h;
                    raw[2 * i + 1] = (byte) (h >>> 8);
                }
                String half = g.initializer(base + "_fp16", Onnx.TensorProto.DataType.FLOAT16_VALUE, dims, raw);
                return g.node("Cast", base + "_cast", List.of(half), attr("to", Onnx.TensorProto.DataType.FLOAT_VALUE));
            }
            if (form == Form.NBITS) throw new IllegalStateException("layer '" + layer + "' weight " + key + " runs as MatMulNBits");
            checkAxis(key, q, dl4jAxis);
            float[] scales = q.scales();
            if (scales.length != dims[onnxAxis]) {
                throw new IllegalArgumentException("layer '" + layer + "' weight " + key + ": " + scales.length + " scales for "
                        + dims[onnxAxis] + " output channels");
            }
            long stride = 1;
            for (int d = onnxAxis + 1; d < dims.length; d++) stride *= dims[d];
            long channelStride = stride;
            int[] codes = codes(key, q, values, scales, i -> (int) ((i / channelStride) % dims[onnxAxis]));
            if (channelFactors != null) { // a folded batch norm: the same codes at scale * |factor|, negated where it is negative
                for (int i = 0; i < codes.length; i++) if (channelFactors[(int) ((i / stride) % dims[onnxAxis])] < 0) codes[i] = -codes[i];
                scales = Deployment.foldedScales(scales, new Deployment.Fold(channelFactors, new float[0]));
            }
            writtenScales.put(key, scales);
            boolean int4 = q.bits() <= 4;
            String c = g.initializer(base + "_q", int4 ? INT4 : Onnx.TensorProto.DataType.INT8_VALUE, dims, int4 ? packInt4(codes) : int8(codes));
            if (form == Form.FLOAT) {
                // codes * scales in float, from constants: ONNX Runtime folds both nodes into a float weight when it loads
                // the model, so the file stays small and no run pays a dequantisation (a DequantizeLinear it would not fold)
                long[] shape = new long[dims.length];
                java.util.Arrays.fill(shape, 1);
                shape[onnxAxis] = scales.length;
                String f = g.node("Cast", base + "_float", List.of(c), attr("to", Onnx.TensorProto.DataType.FLOAT_VALUE));
                return g.node("Mul", base + "_scaled", List.of(f, g.floats(base + "_scale", shape, scales)));
            }
            if (int4) c = g.node("Cast", base + "_int8", List.of(c), attr("to", Onnx.TensorProto.DataType.INT8_VALUE)); // folded at load
            String s = g.floats(base + "_scale", new long[]{scales.length}, scales);
            // zero points of zeros (symmetric codes), not omitted though optional: with none, ORT 1.29 aborts the JVM
            // (an out-of-range input index in a graph transformer) when session.x64quantprecision is set
            String zp = g.initializer(base + "_zero_point", Onnx.TensorProto.DataType.INT8_VALUE, new long[]{scales.length}, new byte[scales.length]);
            return g.node("DequantizeLinear", base + "_dq", List.of(c, s, zp), attr("axis", onnxAxis));
        }

        /**
         * {@code x} times weight {@code key} as com.microsoft MatMulNBits: {@code w} is the weight in the op's [K, N]
         * layout; its codes (block-wise scales, {@link Deployment#nbitsBlock} along K) are stored as 4-bit unsigned
         * values {@code code + 8} (the op's default zero point), column by column, padded to whole blocks with zeros
         * (8); {@code bias} (null: none) is a float [N] value. The accuracy level is {@link Deployment#accuracyLevel}.
         */
        String nbits(Graph g, String key, Value x, INDArray w, int dl4jAxis, String bias) {
            written.add(key);
            WeightQuant q = quant.get(key);
            checkAxis(key, q, dl4jAxis);
            int k = (int) w.size(0), n = (int) w.size(1), block = q.block(), bits = 4, blocks = Quantization.blocks(k, block);
            if (block != Deployment.nbitsBlock(k)) {
                throw new IllegalArgumentException("layer '" + layer + "' weight " + key + ": scales per " + block + " values; MatMulNBits on "
                        + k + " inputs takes blocks of " + Deployment.nbitsBlock(k));
            }
            float[] scales = q.scales();
            if (scales.length != (long) n * blocks) {
                throw new IllegalArgumentException("layer '" + layer + "' weight " + key + ": " + scales.length + " scales for " + n + " columns of "
                        + blocks + " blocks");
            }
            int[] codes = codes(key, q, floats(w), scales, i -> (i % n) * blocks + (i / n) / block); // element i = (row i / n, column i % n)
            byte[] packed = new byte[n * blocks * block / 2];
            for (int col = 0; col < n; col++) {
                for (int row = 0; row < blocks * block; row++) {
                    int value = (row < k ? codes[row * n + col] : 0) + (1 << (bits - 1)), at = col * blocks * block + row;
                    packed[at / 2] |= (byte) (at % 2 == 0 ? value : value << 4);
                }
            }
            String base = layer + "/" + key;
            var inputs = new ArrayList<>(List.of(x.name, g.initializer(base + "_nbits", Onnx.TensorProto.DataType.UINT8_VALUE, new long[]{n, blocks, block / 2}, packed),
                    g.floats(base + "_nbits_scale", new long[]{scales.length}, scales)));
            if (bias != null) inputs.addAll(List.of("", "", bias)); // no zero points (8), no g_idx
            g.contrib = true;
            return g.node("MatMulNBits", base + "_nbits_matmul", CONTRIB, inputs, attr("K", k), attr("N", n), attr("bits", bits),
                    attr("block_size", block), attr("accuracy_level", Deployment.accuracyLevel(key)));
        }

        private void checkAxis(String key, WeightQuant q, int dl4jAxis) {
            if (q.axis() != dl4jAxis) {
                throw new IllegalArgumentException("layer '" + layer + "' weight " + key + ": scales along DL4J axis " + q.axis()
                        + ", but export expects them along axis " + dl4jAxis + " (the output channels)");
            }
            for (float s : q.scales()) {
                if (!(s > 0) || !Float.isFinite(s)) throw new IllegalArgumentException("layer '" + layer + "' weight " + key + ": scale " + s + " is not positive and finite");
            }
        }

        /** {@code rint(w / scale)} per element ({@code scaleOf} maps an element to its scale), checked to be in range and to give back {@code w} exactly. */
        private int[] codes(String key, WeightQuant q, float[] w, float[] scales, java.util.function.IntUnaryOperator scaleOf) {
            int qmax = Quantization.qmax(q.bits());
            int[] codes = new int[w.length];
            int bad = 0;
            String first = null;
            for (int i = 0; i < w.length; i++) {
                float s = scales[scaleOf.applyAsInt(i)];
                double c = Math.rint(w[i] / s); // float division, as Quantization.codes does it
                codes[i] = (int) c;
                // the float product is what DequantizeLinear computes, so it must be the network's value exactly
                if (Math.abs(c) > qmax || (float) c * s != w[i]) {
                    if (bad++ == 0) first = "value " + w[i] + " (index " + i + " in the ONNX layout, scale " + s + ") gives code " + (long) c
                            + (Math.abs(c) > qmax ? ", outside +-" + qmax : ", and code * scale = " + ((float) c * s));
                }
            }
            if (bad > 0) throw notQuantised(key, q, bad + " of " + w.length + " values are not code * scale with |code| <= " + qmax + "; first: " + first);
            return codes;
        }

        private IllegalArgumentException notQuantised(String key, WeightQuant q, String detail) {
            return new IllegalArgumentException("layer '" + layer + "' weight " + key + " does not hold " + q.bits()
                    + "-bit quantised values (was the network quantised with these scales?): " + detail);
        }

        void checkAllUsed() {
            Set<String> left = new LinkedHashSet<>(quant.keySet());
            left.removeAll(written);
            if (!left.isEmpty()) {
                throw new IllegalArgumentException("layer '" + layer + "': weight quantisation for " + left
                        + ", which export does not write as a weight; weights written: " + written);
            }
        }
    }

    private static byte[] int8(int[] codes) {
        byte[] out = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = (byte) codes[i];
        return out;
    }

    /** ONNX INT4 storage: two values per byte, the first in the low nibble, an odd count padded with 0. */
    static byte[] packInt4(int[] codes) {
        byte[] out = new byte[(codes.length + 1) / 2];
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] < -8 || codes[i] > 7) throw new IllegalArgumentException("code " + codes[i] + " does not fit in int4");
            int nibble = codes[i] & 0xF;
            out[i / 2] |= (byte) (i % 2 == 0 ? nibble : nibble << 4);
        }
        return out;
    }

    /** The IEEE half-precision bits of {@code f}, or -1 if {@code f} is not exactly a float16 value. */
    static int halfBits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0 && mant == 0) return sign;                        // +-0
        if (exp == 0xFF) return mant == 0 ? sign | 0x7C00 : -1;        // +-inf (NaN: no)
        int e = exp - 127;
        if (e >= -14 && e <= 15) {                                      // normal half: 10 mantissa bits
            if ((mant & 0x1FFF) != 0) return -1;
            return sign | (e + 15) << 10 | mant >>> 13;
        }
        if (e >= -24 && e < -14) {                                      // subnormal half: m * 2^-24, m in 1..1023
            int shift = -14 - e;                                        // 1..10 bits of the implicit 1 go below
            int full = mant | 0x800000;
            int drop = 13 + shift;
            if ((full & ((1 << drop) - 1)) != 0) return -1;
            return sign | full >>> drop;
        }
        return -1;
    }

    private static Value activation(Graph g, IActivation fn, String name, Value x) {
        List<String> in = List.of(x.name);
        String y;
        if (fn == null || fn instanceof ActivationIdentity) {
            return x;
        } else if (fn instanceof ActivationReLU r) {
            boolean plain = r.getMax() == null && (r.getThreshold() == null || r.getThreshold() == 0)
                    && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0);
            if (!plain) throw unsupported(name, "activation " + fn + " (ReLU with max, threshold or negative slope)");
            y = g.node("Relu", name + "/relu", in);
        } else if (fn instanceof ActivationReLU6) {
            y = clip(g, name + "/relu6", x.name, 0f, 6f);
        } else if (fn instanceof ActivationHardTanH) {
            y = clip(g, name + "/hardtanh", x.name, -1f, 1f);
        } else if (fn instanceof ActivationLReLU l) {
            y = g.node("LeakyRelu", name + "/leakyrelu", in, attr("alpha", (float) l.getAlpha()));
        } else if (fn instanceof ActivationELU e) {
            y = g.node("Elu", name + "/elu", in, attr("alpha", (float) e.getAlpha()));
        } else if (fn instanceof ActivationSigmoid) {
            y = g.node("Sigmoid", name + "/sigmoid", in);
        } else if (fn instanceof ActivationTanH) {
            y = g.node("Tanh", name + "/tanh", in);
        } else if (fn instanceof ActivationSoftPlus) {
            y = g.node("Softplus", name + "/softplus", in);
        } else if (fn instanceof ActivationSoftmax) {
            if (x.rank != 2) throw unsupported(name, "softmax on rank-" + x.rank + " input");
            y = g.node("Softmax", name + "/softmax", in, attr("axis", 1));
        } else {
            throw unsupported(name, "activation " + fn);
        }
        return new Value(y, x.rank);
    }

    private static String clip(Graph g, String base, String x, float lo, float hi) {
        return g.node("Clip", base, List.of(x, g.floats(base + "_min", new long[0], new float[]{lo}),
                g.floats(base + "_max", new long[0], new float[]{hi})));
    }

    /**
     * See {@link ActivationQuant}: uint8 QuantizeLinear / DequantizeLinear, and below 8 bits (with {@code clip}) a
     * uint8 Clip of the codes to the b-bit range between them, which is the b-bit quantiser exactly and which ONNX
     * Runtime keeps inside its integer kernels' chain (a float Clip before QuantizeLinear stops it fusing them).
     * Without {@code integerReader} (the tensor's next reader runs float arithmetic) the codes are turned back into
     * floats by Cast, Sub and Mul, the same arithmetic as DequantizeLinear: after a DequantizeLinear ONNX Runtime
     * quantises a float-weight Conv or Gemm's weights itself (per tensor, to int8 codes up to 127, which its AVX2
     * kernels saturate with: measured 99.80% agreement on fashion-cnn w32a8).
     */
    private static Value qdq(Graph g, String name, Value x, ActivationQuant q, boolean clip, boolean integerReader) {
        if (q.isFloat16()) {
            String h = g.node("Cast", name + "/to_fp16", List.of(x.name), attr("to", Onnx.TensorProto.DataType.FLOAT16_VALUE));
            return new Value(g.node("Cast", name + "/from_fp16", List.of(h), attr("to", Onnx.TensorProto.DataType.FLOAT_VALUE)), x.rank);
        }
        String scale = g.floats(name + "/act_scale", new long[0], new float[]{q.scale()});
        String zp = g.uint8(name + "/act_zero_point", q.zeroPoint());
        String quantised = g.node("QuantizeLinear", name + "/act_q", List.of(x.name, scale, zp));
        if (clip && q.levels() < 255) quantised = g.node("Clip", name + "/act_clip", List.of(quantised, "", g.uint8(name + "/act_levels", q.levels())));
        if (integerReader) return new Value(g.node("DequantizeLinear", name + "/act_dq", List.of(quantised, scale, zp)), x.rank);
        String codes = g.node("Cast", name + "/act_codes", List.of(quantised), attr("to", Onnx.TensorProto.DataType.FLOAT_VALUE));
        String centred = q.zeroPoint() == 0 ? codes
                : g.node("Sub", name + "/act_centred", List.of(codes, g.floats(name + "/act_zero", new long[0], new float[]{q.zeroPoint()})));
        return new Value(g.node("Mul", name + "/act_dq", List.of(centred, scale)), x.rank);
    }

    /** The clip {@link #qdq} left for later: {@code x} lies on {@code q}'s grid, so quantising it again is exact. */
    private static Value clipCodes(Graph g, String name, Value x, ActivationQuant q, boolean integerReader) {
        return qdq(g, name + "/codes", x, q, true, integerReader);
    }

    /**
     * Whether a reader of {@code node}'s output that reads values rather than keeping their grid (max pooling, dropout)
     * runs an integer kernel on them (an integer-weight layer, an integer add), or MatMulNBits (which reads floats and is
     * never quantised by ONNX Runtime).
     */
    private static boolean integerReader(Topology t, String node, Map<String, Map<String, WeightQuant>> weights, Deployment deployment) {
        for (Topology.Node r : t.readers(node)) {
            boolean integer = r.isLayer() && Deployment.keepsGrid(r.layer()) ? integerReader(t, r.name(), weights, deployment)
                    : r.isLayer() ? weights.getOrDefault(r.name(), Map.of()).keySet().stream().anyMatch(k -> deployment.form(r.name(), k) != Form.FLOAT)
                    : deployment.integerAdd(r.name());
            if (integer) return true;
        }
        return false;
    }

    private static IllegalArgumentException unsupported(String layer, String what) {
        return new IllegalArgumentException("layer '" + layer + "': " + what + " cannot be exported to ONNX; supported: "
                + "convolution (NCHW), max/avg pooling, batch norm, activation, dropout, dense, output, global pooling, "
                + "self-attention with input projection");
    }

    /** An array's values in logical row-major order, whatever its ordering or view offset. */
    static float[] floats(INDArray a) {
        INDArray cast = a.castTo(DataType.FLOAT);
        INDArray flat = Nd4j.toFlattened('c', cast);
        float[] values = flat.toFloatVector();
        dev.squeeze.model.Backend.release(flat);
        if (cast != a) dev.squeeze.model.Backend.release(cast);
        return values;
    }

    private static long[] concat(long first, long[] rest) {
        long[] out = new long[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    /** A value's type; {@code dims} null leaves the shape to ONNX Runtime, -1 is the symbolic batch dimension. */
    private static Onnx.ValueInfoProto valueInfo(String name, long[] dims) {
        var tensor = Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE);
        if (dims != null) {
            var shape = Onnx.TensorShapeProto.newBuilder();
            for (long d : dims) {
                var dim = Onnx.TensorShapeProto.Dimension.newBuilder();
                shape.addDim(d < 0 ? dim.setDimParam("batch") : dim.setDimValue(d));
            }
            tensor.setShape(shape);
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    private static Onnx.NodeProto node(String op, List<String> inputs, String output, Onnx.AttributeProto... attrs) {
        return Onnx.NodeProto.newBuilder().setOpType(op).setName(output).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attrs)).build();
    }

    private static Onnx.AttributeProto attr(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static Onnx.AttributeProto attr(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    private static Onnx.AttributeProto attr(String name, String value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    private static Onnx.AttributeProto attr(String name, int[] values) {
        var b = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (int v : values) b.addInts(v);
        return b.build();
    }

    /** The graph under construction: nodes named after their output, value names made unique. */
    private static final class Graph {
        final Onnx.GraphProto.Builder proto = Onnx.GraphProto.newBuilder().setName("squeeze");
        final int opset;
        /** Whether a com.microsoft op was written (the model then imports that domain). */
        boolean contrib;
        private final Map<String, Integer> used = new HashMap<>();

        Graph(int opset) {
            this.opset = opset;
        }

        String fresh(String base) {
            int k = used.merge(base, 1, Integer::sum);
            return k == 1 ? base : base + "_" + k;
        }

        String node(String op, String outBase, List<String> inputs, Onnx.AttributeProto... attrs) {
            String out = fresh(outBase);
            proto.addNode(OnnxWriter.node(op, inputs, out, attrs));
            return out;
        }

        String node(String op, String outBase, String domain, List<String> inputs, Onnx.AttributeProto... attrs) {
            String out = fresh(outBase);
            proto.addNode(OnnxWriter.node(op, inputs, out, attrs).toBuilder().setDomain(domain));
            return out;
        }

        String floats(String base, INDArray a) {
            return floats(base, a.shape(), OnnxWriter.floats(a));
        }

        /** {@code a} as a 1-D initializer of {@code length} values. */
        String floats(String base, INDArray a, long length) {
            return floats(base, new long[]{length}, OnnxWriter.floats(a));
        }

        String floats(String base, long[] dims, float[] values) {
            ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) bb.putFloat(v);
            return initializer(base, Onnx.TensorProto.DataType.FLOAT_VALUE, dims, bb.array());
        }

        String ints(String base, long... values) {
            ByteBuffer bb = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) bb.putLong(v);
            return initializer(base, Onnx.TensorProto.DataType.INT64_VALUE, new long[]{values.length}, bb.array());
        }

        String uint8(String base, int value) {
            return initializer(base, Onnx.TensorProto.DataType.UINT8_VALUE, new long[0], new byte[]{(byte) value});
        }

        String initializer(String base, int type, long[] dims, byte[] raw) {
            String name = fresh(base);
            var t = Onnx.TensorProto.newBuilder().setName(name).setDataType(type).setRawData(ByteString.copyFrom(raw));
            for (long d : dims) t.addDims(d);
            proto.addInitializer(t);
            return name;
        }
    }
}
