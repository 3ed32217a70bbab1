package dev.squeeze.model.compress;

import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.LayerOp;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Structured pruning along dependency groups. {@link #masked} zeroes what the readers take from removed
 * units (same shapes, for quick evaluation); {@link #physical} builds the smaller network. Both return a
 * new network and leave the input untouched; on the same selection their outputs are equal.
 */
public final class Pruning {
    private Pruning() {}

    /** A copy of {@code net} in which the removed units no longer reach anything. */
    public static MultiLayerNetwork masked(MultiLayerNetwork net, LayerGraph graph, UnitSelection selection) {
        MultiLayerNetwork copy = Networks.copy(net);
        maskInPlace(copy, graph, selection);
        return copy;
    }

    /**
     * Zeroes, in place, what the readers take from removed units. For callers that own {@code net} and
     * re-mask it every fine-tuning step; everything else uses {@link #masked}.
     */
    public static void maskInPlace(MultiLayerNetwork net, LayerGraph graph, UnitSelection selection) {
        var index = Networks.indexByName(net);
        for (DependencyGroup g : graph.groups()) {
            int[] removed = selection.removedOf(g.id(), g.units());
            if (removed.length == 0) continue;
            for (DependencyGroup.Member m : g.members()) {
                if (!index.containsKey(m.layer())) continue; // a graph-only node (flatten preprocessor): no parameters
                Layer layer = net.getLayer(index.get(m.layer()));
                for (ParamAxes.Axis a : ParamAxes.masked(m, graph.node(m.layer()).op(), layer)) {
                    layer.getParam(a.key()).assign(Tensors.zero(layer.getParam(a.key()), a.axis(), removed, a.block()));
                }
            }
        }
    }

    /**
     * A smaller network holding only the kept units: its layer widths are those of
     * {@code graph.pruned(selection.counts())}, and its parameters are the kept slices of {@code net}'s.
     */
    public static MultiLayerNetwork physical(MultiLayerNetwork net, LayerGraph graph, UnitSelection selection) {
        if (selection.isEmpty()) return Networks.copy(net);
        LayerGraph target = graph.pruned(selection.counts());
        var index = Networks.indexByName(net);

        // The kept slices of every parameter, one gather per (group member, axis).
        var params = new HashMap<String, Map<String, INDArray>>();
        for (LayerNode n : graph.nodes()) {
            if (!index.containsKey(n.name())) continue;
            var table = new HashMap<String, INDArray>();
            net.getLayer(index.get(n.name())).paramTable().forEach((k, v) -> table.put(k, v.dup('c')));
            params.put(n.name(), table);
        }
        for (DependencyGroup g : graph.groups()) {
            int[] kept = selection.keptOf(g.id());
            if (kept == null) continue;
            for (DependencyGroup.Member m : g.members()) {
                if (!index.containsKey(m.layer())) continue;
                Layer layer = net.getLayer(index.get(m.layer()));
                var table = params.get(m.layer());
                for (ParamAxes.Axis a : ParamAxes.of(m, graph.node(m.layer()).op(), layer)) {
                    INDArray whole = table.get(a.key());
                    table.put(a.key(), Tensors.take(whole, a.axis(), kept, a.block()));
                    dev.squeeze.model.Backend.release(whole);
                }
            }
        }

        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        for (int i = 0; i < conf.getConfs().size(); i++) {
            var layerConf = conf.getConf(i).getLayer();
            LayerNode node = target.node(layerConf.getLayerName());
            resize(layerConf, node.op());
            InputPreProcessor pp = conf.getInputPreProcess(i);
            if (pp instanceof CnnToFeedForwardPreProcessor flatten) flatten.setNumChannels(imageChannels(target, node));
        }
        MultiLayerNetwork pruned = new MultiLayerNetwork(conf);
        pruned.init();
        for (LayerNode n : graph.nodes()) {
            if (!index.containsKey(n.name())) continue;
            Layer layer = pruned.getLayer(index.get(n.name()));
            params.get(n.name()).forEach((k, v) -> {
                INDArray slot = layer.getParam(k);
                if (!Arrays.equals(slot.shape(), v.shape())) {
                    throw new IllegalStateException("pruning '" + n.name() + "': parameter " + k + " is " + Arrays.toString(v.shape())
                            + " but the rebuilt layer expects " + Arrays.toString(slot.shape()));
                }
                slot.assign(v);
                dev.squeeze.model.Backend.release(v); // a copy made above: copied into the network's own buffer now
            });
        }
        return pruned;
    }

    /** Channels of the nearest image [C,H,W] upstream of a layer: what a flatten before it reads. */
    private static long imageChannels(LayerGraph target, LayerNode reader) {
        LayerNode n = reader;
        while (n.inShape().rank() != 3) {
            String from = n.inputs().get(0);
            if (!target.has(from)) throw new IllegalStateException("no image input upstream of '" + reader.name() + "'");
            n = target.node(from);
        }
        return n.inShape().dim(0);
    }

    private static void resize(org.deeplearning4j.nn.conf.layers.Layer conf, LayerOp op) {
        if (op instanceof LayerOp.Conv2d c && conf instanceof FeedForwardLayer f) {
            f.setNIn(c.inChannels());
            f.setNOut(c.outChannels());
        } else if (op instanceof LayerOp.Dense d && conf instanceof FeedForwardLayer f) {
            f.setNIn(d.in());
            f.setNOut(d.out());
        } else if (op instanceof LayerOp.BatchNorm b && conf instanceof FeedForwardLayer f) {
            f.setNIn(b.features());
            f.setNOut(b.features());
        } else if (op instanceof LayerOp.Attention a && conf instanceof SelfAttentionLayer s) {
            s.setNIn(a.inWidth());
            s.setNHeads(a.heads());
            s.setNOut(a.outWidth());
            s.setLayerParams(null); // cached parameter shapes: recomputed from the new sizes
        }
    }
}
