package dev.squeeze.model.compress;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/** Name-based access to a DL4J network's layers, since squeeze speaks in layer names. */
public final class Networks {
    /** The suffix {@code Dl4jGraphs} gives the depthwise half of a separable convolution, a graph node without a DL4J layer of its own. */
    static final String DEPTHWISE_SUFFIX = ".depthwise";

    private Networks() {}

    static Map<String, Integer> indexByName(MultiLayerNetwork net) {
        var confs = net.getLayerWiseConfigurations().getConfs();
        var index = new HashMap<String, Integer>();
        for (int i = 0; i < confs.size(); i++) index.put(confs.get(i).getLayer().getLayerName(), i);
        return index;
    }

    /**
     * The network's layers by name: a sequential network's by the names {@link Topology} gives them (configured, or
     * {@code layer<index>}), a graph's by vertex name.
     */
    public static Map<String, Layer> layersByName(Model net) {
        var layers = new HashMap<String, Layer>();
        if (net instanceof MultiLayerNetwork m) {
            var confs = m.getLayerWiseConfigurations().getConfs();
            for (int i = 0; i < confs.size(); i++) layers.put(dev.squeeze.model.Dl4jGraphs.layerName(confs.get(i).getLayer(), i), m.getLayer(i));
        } else if (net instanceof ComputationGraph g) {
            for (Layer l : g.getLayers()) layers.put(l.conf().getLayer().getLayerName(), l);
        } else {
            throw new IllegalArgumentException("not a DL4J network: " + net.getClass().getName());
        }
        return layers;
    }

    /**
     * A new network of {@code net}'s kind, configured as {@code net} is with {@code edit} applied to a copy of every layer's
     * configuration, holding a copy of {@code params}; with {@code restart} its iteration and epoch counts start at 0.
     */
    static Model rebuilt(Model net, INDArray params, Consumer<org.deeplearning4j.nn.conf.layers.Layer> edit, boolean restart) {
        if (net instanceof MultiLayerNetwork m) {
            MultiLayerConfiguration conf = m.getLayerWiseConfigurations().clone();
            conf.getConfs().forEach(c -> edit.accept(c.getLayer()));
            if (restart) {
                conf.setIterationCount(0);
                conf.setEpochCount(0);
            }
            MultiLayerNetwork out = new MultiLayerNetwork(conf);
            out.init(params.dup(), false);
            return out;
        }
        if (net instanceof ComputationGraph g) {
            ComputationGraphConfiguration conf = g.getConfiguration().clone();
            conf.getVertices().values().forEach(v -> {
                if (v instanceof LayerVertex lv) edit.accept(lv.getLayerConf().getLayer());
            });
            if (restart) {
                conf.setIterationCount(0);
                conf.setEpochCount(0);
            }
            ComputationGraph out = new ComputationGraph(conf);
            out.init(params.dup(), false);
            return out;
        }
        throw new IllegalArgumentException("not a DL4J network: " + net.getClass().getName());
    }

    /** The flattened gradient array the layers' gradient views live in (made on first use). */
    static INDArray gradients(Model net) {
        if (net instanceof MultiLayerNetwork m) {
            if (m.getFlattenedGradients() == null) m.initGradientsView();
            return m.getFlattenedGradients();
        }
        var g = (ComputationGraph) net;
        if (g.getFlattenedGradients() == null) g.initGradientsView();
        return g.getFlattenedGradients();
    }

    /**
     * One updater step: {@code gradient} (keys {@code <gradient key>_<param>}, its arrays the layers' gradient views) turned
     * into the update by the network's updater, subtracted from the parameters, and the iteration counted.
     */
    static void update(Model net, Gradient gradient, int batch, LayerWorkspaceMgr mgr) {
        if (net instanceof MultiLayerNetwork m) {
            int iteration = m.getIterationCount();
            m.getUpdater().update(m, gradient, iteration, m.getEpochCount(), batch, mgr);
            m.params().subi(m.getFlattenedGradients().reshape(m.params().shape()));
            m.setIterationCount(iteration + 1);
        } else {
            var g = (ComputationGraph) net;
            int iteration = g.getIterationCount();
            g.getUpdater().update(gradient, iteration, g.getEpochCount(), batch, mgr);
            g.params().subi(g.getFlattenedGradients().reshape(g.params().shape()));
            g.getConfiguration().setIterationCount(iteration + 1);
        }
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
