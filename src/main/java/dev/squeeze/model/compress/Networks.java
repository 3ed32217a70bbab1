package dev.squeeze.model.compress;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.HashMap;
import java.util.Map;

/** Name-based access to a DL4J network's layers, since squeeze speaks in layer names. */
final class Networks {
    /** The suffix {@code Dl4jGraphs} gives the depthwise half of a separable convolution, a graph node without a DL4J layer of its own. */
    static final String DEPTHWISE_SUFFIX = ".depthwise";

    private Networks() {}

    static Map<String, Integer> indexByName(MultiLayerNetwork net) {
        var confs = net.getLayerWiseConfigurations().getConfs();
        var index = new HashMap<String, Integer>();
        for (int i = 0; i < confs.size(); i++) index.put(confs.get(i).getLayer().getLayerName(), i);
        return index;
    }

    /** The network's layers by name: a sequential network's by configured name, a graph's by vertex name. */
    static Map<String, Layer> layersByName(Model net) {
        var layers = new HashMap<String, Layer>();
        if (net instanceof MultiLayerNetwork m) {
            indexByName(m).forEach((name, i) -> layers.put(name, m.getLayer(i)));
        } else if (net instanceof ComputationGraph g) {
            for (Layer l : g.getLayers()) layers.put(l.conf().getLayer().getLayerName(), l);
        } else {
            throw new IllegalArgumentException("not a DL4J network: " + net.getClass().getName());
        }
        return layers;
    }

    /**
     * The DL4J layer that holds a graph node's parameters: the node's own, or for the depthwise half of a separable
     * convolution the separable layer; null for nodes without parameters of their own (a flatten preprocessor, an add).
     */
    static String layerOf(String node, Map<String, Layer> layers) {
        if (layers.containsKey(node)) return node;
        if (node.endsWith(DEPTHWISE_SUFFIX)) {
            String owner = node.substring(0, node.length() - DEPTHWISE_SUFFIX.length());
            if (layers.containsKey(owner)) return owner;
        }
        return null;
    }

    /** A deep copy of either kind of network, sharing nothing with {@code net} (parameters, configuration, updater state). */
    @SuppressWarnings("unchecked")
    static <M extends Model> M copyOf(M net) {
        if (net instanceof MultiLayerNetwork m) return (M) m.clone();
        if (net instanceof ComputationGraph g) return (M) g.clone();
        throw new IllegalArgumentException("not a DL4J network: " + net.getClass().getName());
    }
}
