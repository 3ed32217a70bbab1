package dev.squeeze.model;

import dev.squeeze.SqueezeException;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToRnnPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.RnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Reads a {@link LayerGraph} from a DL4J network. DL4J's own shape inference gives each layer's
 * output type, and every inferred shape is checked against it, so a layer we translate wrongly fails
 * here rather than costing plans with the wrong numbers.
 */
public final class Dl4jGraphs {
    /** The input name of a sequential network's graph (a computation graph's is its own). */
    public static final String INPUT = "input";

    private Dl4jGraphs() {}

    /** The graph of either kind of DL4J network. */
    public static LayerGraph of(String name, Model net, TensorShape inputShape) {
        if (net instanceof MultiLayerNetwork m) return of(name, m, inputShape);
        if (net instanceof ComputationGraph g) return of(name, g, inputShape);
        throw new SqueezeException("model '" + name + "' is a " + net.getClass().getSimpleName()
                + "; squeeze reads MultiLayerNetwork and ComputationGraph models");
    }

    public static LayerGraph of(String name, MultiLayerNetwork net, TensorShape inputShape) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        InputType inputType = toInputType(inputShape);
        List<InputType> outTypes = conf.getLayerActivationTypes(inputType);
        var b = LayerGraph.builder(name).input(INPUT, inputShape);
        var flattens = new int[]{0};
        String previous = INPUT;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            String layerName = layerName(layer, i);
            previous = addPreprocessor(b, conf.getInputPreProcess(i), previous, flattens);
            previous = addLayer(b, layer, layerName, previous);
            checkShape(b, previous, outTypes.get(i));
        }
        return b.build();
    }

    public static LayerGraph of(String name, ComputationGraph net, TensorShape inputShape) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        if (conf.getNetworkInputs().size() != 1) {
            throw new SqueezeException("model '" + name + "' has " + conf.getNetworkInputs().size() + " inputs; squeeze supports one");
        }
        String input = conf.getNetworkInputs().get(0);
        Map<String, InputType> outTypes = conf.getLayerActivationTypes(toInputType(inputShape));
        var b = LayerGraph.builder(name).input(input, inputShape);
        var flattens = new int[]{0};
        for (String vertexName : order(conf)) {
            GraphVertex v = conf.getVertices().get(vertexName);
            List<String> from = conf.getVertexInputs().get(vertexName);
            if (v instanceof LayerVertex lv) {
                String in = addPreprocessor(b, lv.getPreProcessor(), from.get(0), flattens);
                addLayer(b, lv.getLayerConf().getLayer(), vertexName, in);
            } else {
                LayerOp op = Ops.of(v).orElseThrow(() -> new SqueezeException("model '" + name + "': vertex '" + vertexName + "' ("
                        + v.getClass().getSimpleName() + ") is not supported; supported: layers, elementwise add and merge (concat)"));
                b.add(vertexName, op, from);
            }
            checkShape(b, vertexName, outTypes.get(vertexName));
        }
        return b.build();
    }

    /** The network's first layer with weights (in the graph's topological order), or null if it has none. */
    static Layer firstWeighted(Model net) {
        if (net instanceof MultiLayerNetwork m) {
            for (var c : m.getLayerWiseConfigurations().getConfs()) {
                if (c.getLayer() instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer) return c.getLayer();
            }
            return null;
        }
        var conf = ((ComputationGraph) net).getConfiguration();
        for (String name : order(conf)) {
            if (conf.getVertices().get(name) instanceof LayerVertex lv
                    && lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer) {
                return lv.getLayerConf().getLayer();
            }
        }
        return null;
    }

    /**
     * The vertices in a topological order that keeps the configuration's own order wherever it can (Kahn's algorithm,
     * taking the earliest-declared ready vertex): a block reads conv1, bn1, ..., shortcut, add as it was written, which
     * an architecture spec can list in the same order. DL4J's own sort interleaves parallel branches.
     */
    public static List<String> order(ComputationGraphConfiguration conf) {
        List<String> declared = new ArrayList<>(conf.getVertices().keySet());
        var pending = new HashMap<String, Integer>();
        var readers = new HashMap<String, List<String>>();
        for (String v : declared) {
            List<String> from = conf.getVertexInputs().getOrDefault(v, List.of());
            pending.put(v, (int) from.stream().filter(f -> !conf.getNetworkInputs().contains(f)).count());
            for (String f : from) readers.computeIfAbsent(f, k -> new ArrayList<>()).add(v);
        }
        var index = new HashMap<String, Integer>();
        for (int i = 0; i < declared.size(); i++) index.put(declared.get(i), i);
        var ready = new PriorityQueue<String>(Comparator.comparing(index::get));
        declared.stream().filter(v -> pending.get(v) == 0).forEach(ready::add);
        var order = new ArrayList<String>();
        while (!ready.isEmpty()) {
            String v = ready.poll();
            order.add(v);
            for (String r : readers.getOrDefault(v, List.of())) {
                if (pending.merge(r, -1, Integer::sum) == 0) ready.add(r);
            }
        }
        if (order.size() != declared.size()) throw new SqueezeException("the graph's vertices form a cycle");
        return order;
    }

    /** DL4J's input type for a squeeze shape ([C,H,W] image, [L,D] sequence, [D] vector). */
    public static InputType toInputType(TensorShape s) {
        return switch (s.rank()) {
            case 3 -> InputType.convolutional(s.dim(1), s.dim(2), s.dim(0));
            case 2 -> InputType.recurrent(s.dim(1), s.dim(0));
            case 1 -> InputType.feedForward(s.dim(0));
            default -> throw new IllegalArgumentException("unsupported input shape " + s);
        };
    }

    static TensorShape toShape(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return TensorShape.of((int) c.getChannels(), (int) c.getHeight(), (int) c.getWidth());
        }
        if (t instanceof InputType.InputTypeRecurrent r) {
            return TensorShape.of((int) r.getTimeSeriesLength(), (int) r.getSize());
        }
        if (t instanceof InputType.InputTypeConvolutionalFlat f) {
            return TensorShape.of((int) f.getFlattenedSize());
        }
        return TensorShape.of((int) t.arrayElementsPerExample());
    }

    /**
     * Adds the node(s) of one DL4J layer read from {@code input} and returns the name of the node with the layer's
     * output, which is the layer's own name: a {@link SeparableConvolution2D} becomes its depthwise conv,
     * {@code <name>.depthwise}, then its pointwise 1x1 conv under the layer's name (which owns the layer's bias and
     * its prunable output channels).
     */
    private static String addLayer(LayerGraph.Builder b, Layer layer, String name, String input) {
        if (layer instanceof SeparableConvolution2D sc) {
            int[] k = sc.getKernelSize(), s = sc.getStride(), d = sc.getDilation();
            if (d[0] != 1 || d[1] != 1) throw unsupported(name, "dilated convolution");
            int[] pad = padding(sc.getConvolutionMode(), k, sc.getPadding());
            int in = (int) sc.getNIn(), depth = in * sc.getDepthMultiplier();
            String depthwise = name + ".depthwise";
            b.add(depthwise, Conv2dOp.of(in, depth, k[0], k[1], s[0], s[1], pad[0], pad[1], in, false, "identity"), List.of(input));
            b.add(name, new Conv2dOp(depth, (int) sc.getNOut(), 1, 1, 1, 1, 0, 0, 1, sc.hasBias(), activation(layer)),
                    List.of(depthwise));
            return name;
        }
        b.add(name, toOp(layer, name), List.of(input));
        return name;
    }

    private static String addPreprocessor(LayerGraph.Builder b, InputPreProcessor p, String previous, int[] flattens) {
        if (p == null || p instanceof RnnToFeedForwardPreProcessor || p instanceof FeedForwardToRnnPreProcessor) {
            return previous; // per-token dense layers act on [L, D] directly
        }
        if (p instanceof CnnToFeedForwardPreProcessor) {
            String name = flattens[0] == 0 ? "flatten" : "flatten" + (flattens[0] + 1);
            flattens[0]++;
            b.add(name, new FlattenOp(), List.of(previous));
            return name;
        }
        throw new SqueezeException("preprocessor " + p.getClass().getSimpleName() + " before layer after '" + previous + "' is not supported");
    }

    private static void checkShape(LayerGraph.Builder b, String layer, InputType dl4j) {
        // RNN-to-FF layers report [L*D] where we keep [L, D]; compare element counts, which catches every real mismatch.
        // DL4J M2.1 infers a recurrent output for global pooling over a sequence, though it outputs [D] at run time.
        if (b.opOf(layer) instanceof GlobalPoolingOp) return;
        TensorShape ours = b.shapeOf(layer);
        TensorShape theirs = toShape(dl4j);
        if (ours.elements() != theirs.elements()) {
            throw new IllegalStateException("layer '" + layer + "': squeeze infers shape " + ours + " but DL4J says " + theirs);
        }
    }

    /** A DL4J layer's name, or {@code layer<index>} when it has none: the name squeeze knows the layer by. */
    public static String layerName(Layer layer, int index) {
        String n = layer.getLayerName();
        return n == null || n.isBlank() ? "layer" + index : n;
    }

    static String activation(Layer layer) {
        var fn = layer instanceof BaseLayer bl ? bl.getActivationFn()
                : layer instanceof ActivationLayer al ? al.getActivationFn() : null;
        return fn == null ? "identity" : fn.toString().toLowerCase(Locale.ROOT);
    }

    /** The op of a DL4J layer, as the op classes listed in {@link Ops} read it. */
    static LayerOp toOp(Layer layer, String name) {
        return Ops.of(layer, name).orElseThrow(() -> unsupported(name, layer.getClass().getSimpleName()));
    }

    /** Symmetric padding equivalent to DL4J's mode (Same with stride 1 and odd kernels, or explicit). */
    static int[] padding(ConvolutionMode mode, int[] kernel, int[] explicit) {
        if (mode == ConvolutionMode.Same) return new int[]{(kernel[0] - 1) / 2, (kernel[1] - 1) / 2};
        return new int[]{explicit[0], explicit[1]};
    }

    static SqueezeException unsupported(String layer, String what) {
        return new SqueezeException("layer '" + layer + "' is a " + what + ", which squeeze cannot analyse yet; "
                + "supported: conv2d, depthwise and separable conv2d, dense, output, pooling, global pooling, batchnorm, activation, dropout, self-attention");
    }
}
