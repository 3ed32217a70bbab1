package dev.squeeze.model.compress;

import dev.squeeze.SqueezeException;
import dev.squeeze.model.Dl4jGraphs;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Either kind of DL4J network as what compression, deployment and export walk: its layers and residual adds in a
 * topological order, each with the names of what it reads. A sequential network is the chain of its layers; a
 * computation graph keeps its own wiring (in {@link Dl4jGraphs#order}'s order, the one its {@code LayerGraph} has).
 * Structure only (no parameters), so it can be made from a configuration; immutable.
 */
public final class Topology {
    /** What a node computes: a DL4J layer, the elementwise sum of its inputs, or their concatenation along the features. */
    public enum Kind { LAYER, ADD, CONCAT }

    /**
     * @param name         the layer's name (a sequential network's configured name, a graph's vertex name)
     * @param kind         layer or add
     * @param inputs       what it reads: earlier nodes or {@link #input()}
     * @param layer        its DL4J layer configuration (null for an add)
     * @param preprocessor what DL4J applies to its input first (null: none)
     * @param gradientKey  the prefix DL4J's updater gives the layer's gradients: a sequential layer's index, a vertex's name
     */
    public record Node(String name, Kind kind, List<String> inputs, Layer layer, InputPreProcessor preprocessor, String gradientKey) {
        public Node {
            inputs = List.copyOf(inputs);
        }

        public boolean isLayer() {
            return kind == Kind.LAYER;
        }

        /** The single input of a layer (an add or a concat has several). */
        public String input() {
            return inputs.get(0);
        }
    }

    private final String input;
    private final String output;
    private final List<Node> nodes;
    private final Map<String, Node> byName;
    private final Map<String, List<Node>> readers;

    private Topology(String input, List<Node> nodes, String output) {
        this.input = input;
        this.output = output;
        this.nodes = List.copyOf(nodes);
        var index = new LinkedHashMap<String, Node>();
        var readers = new LinkedHashMap<String, List<Node>>();
        for (Node n : nodes) {
            index.put(n.name(), n);
            for (String in : n.inputs()) readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        this.byName = Collections.unmodifiableMap(index);
        readers.replaceAll((k, v) -> List.copyOf(v));
        this.readers = Collections.unmodifiableMap(readers);
    }

    public static Topology of(Model net) {
        if (net instanceof MultiLayerNetwork m) return of(m.getLayerWiseConfigurations());
        if (net instanceof ComputationGraph g) return of(g.getConfiguration());
        throw new SqueezeException("a " + net.getClass().getSimpleName() + " is not a network squeeze compresses; "
                + "supported: MultiLayerNetwork and ComputationGraph");
    }

    public static Topology of(MultiLayerConfiguration conf) {
        var nodes = new ArrayList<Node>();
        String previous = Dl4jGraphs.INPUT;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            String name = Dl4jGraphs.layerName(layer, i);
            nodes.add(new Node(name, Kind.LAYER, List.of(previous), layer, conf.getInputPreProcess(i), String.valueOf(i)));
            previous = name;
        }
        return new Topology(Dl4jGraphs.INPUT, nodes, previous);
    }

    /**
     * @throws SqueezeException naming the vertex when the graph has a vertex other than a layer, an elementwise add or a merge,
     *                          or more than one input or output
     */
    public static Topology of(ComputationGraphConfiguration conf) {
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new SqueezeException("the graph has " + conf.getNetworkInputs().size() + " inputs and " + conf.getNetworkOutputs().size()
                    + " outputs; squeeze compresses graphs with one of each");
        }
        var nodes = new ArrayList<Node>();
        for (String name : Dl4jGraphs.order(conf)) {
            GraphVertex v = conf.getVertices().get(name);
            List<String> from = conf.getVertexInputs().get(name);
            if (v instanceof LayerVertex lv) {
                nodes.add(new Node(name, Kind.LAYER, from, lv.getLayerConf().getLayer(), lv.getPreProcessor(), name));
            } else if (v instanceof ElementWiseVertex ew && ew.getOp() == ElementWiseVertex.Op.Add) {
                nodes.add(new Node(name, Kind.ADD, from, null, null, name));
            } else if (v instanceof MergeVertex) {
                nodes.add(new Node(name, Kind.CONCAT, from, null, null, name));
            } else {
                throw new SqueezeException("vertex '" + name + "' is a " + describe(v)
                        + ", which squeeze cannot compress or export; supported vertices: layers, elementwise add and merge (concat)");
            }
        }
        return new Topology(conf.getNetworkInputs().get(0), nodes, conf.getNetworkOutputs().get(0));
    }

    private static String describe(GraphVertex v) {
        return v instanceof ElementWiseVertex ew ? "elementwise " + ew.getOp() + " vertex" : v.getClass().getSimpleName();
    }

    /** The network input's name. */
    public String input() {
        return input;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public Node node(String name) {
        Node n = byName.get(name);
        if (n == null) throw new IllegalArgumentException("no layer named '" + name + "'");
        return n;
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** The network's output layer. */
    public Node output() {
        return node(output);
    }

    /** The nodes that read a node's (or the input's) output. */
    public List<Node> readers(String name) {
        return readers.getOrDefault(name, List.of());
    }

    /**
     * The node that alone reads {@code name}'s output and reads nothing else, with no preprocessor between: the next op of a
     * chain, which a runtime may fuse with it (a batch norm into its convolution, a ReLU into both).
     */
    public Optional<Node> chained(String name) {
        List<Node> r = readers(name);
        if (r.size() != 1) return Optional.empty();
        Node next = r.get(0);
        return next.isLayer() && next.inputs().size() == 1 && next.preprocessor() == null ? Optional.of(next) : Optional.empty();
    }

    /** What an add or a concat node computes from its inputs' values (a new array): their sum, or them side by side along axis 1. */
    static org.nd4j.linalg.api.ndarray.INDArray merge(Node n, List<org.nd4j.linalg.api.ndarray.INDArray> inputs) {
        if (n.kind() == Kind.CONCAT) return org.nd4j.linalg.factory.Nd4j.concat(1, inputs.toArray(org.nd4j.linalg.api.ndarray.INDArray[]::new));
        if (n.kind() != Kind.ADD) throw new IllegalArgumentException("'" + n.name() + "' is a layer, not an add or a concat");
        var sum = inputs.get(0).dup();
        for (var other : inputs.subList(1, inputs.size())) sum.addi(other);
        return sum;
    }
}
