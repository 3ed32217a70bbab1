package dev.squeeze.model.compress;

import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.ParamAxis;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
    public static <M extends Model> M masked(M net, LayerGraph graph, UnitSelection selection) {
        M copy = Networks.copyOf(net);
        maskInPlace(copy, graph, selection);
        return copy;
    }

    /**
     * Zeroes, in place, what the readers take from removed units. For callers that own {@code net} and
     * re-mask it every fine-tuning step; everything else uses {@link #masked}.
     */
    public static void maskInPlace(Model net, LayerGraph graph, UnitSelection selection) {
        var layers = Networks.layersByName(net);
        for (DependencyGroup g : graph.groups()) {
            int[] removed = selection.removedOf(g.id(), g.units());
            if (removed.length == 0) continue;
            for (DependencyGroup.Member m : g.members()) {
                String owner = Networks.layerOf(m.layer(), layers);
                if (owner == null) continue; // a graph-only node (flatten preprocessor, add): no parameters
                Layer layer = layers.get(owner);
                for (ParamAxis a : graph.node(m.layer()).op().maskedAxes(m, layer)) {
                    long[] rows = Tensors.rows(removed, a.block());
                    for (int r = 0; r < rows.length; r++) rows[r] += m.offset(); // after a concat: the group's rows start later
                    layer.getParam(a.key()).assign(Tensors.zeroRows(layer.getParam(a.key()), a.axis(), rows));
                }
            }
        }
    }

    /** {@link #physical(MultiLayerNetwork, LayerGraph, UnitSelection)} or its computation-graph twin, by the network's kind. */
    public static Model physical(Model net, LayerGraph graph, UnitSelection selection) {
        if (net instanceof MultiLayerNetwork m) return physical(m, graph, selection);
        if (net instanceof ComputationGraph g) return physical(g, graph, selection);
        throw new IllegalArgumentException("not a DL4J network: " + net.getClass().getName());
    }

    /**
     * A smaller network holding only the kept units: its layer widths are those of
     * {@code graph.pruned(selection.counts())}, and its parameters are the kept slices of {@code net}'s.
     */
    public static MultiLayerNetwork physical(MultiLayerNetwork net, LayerGraph graph, UnitSelection selection) {
        if (selection.isEmpty()) return Networks.copyOf(net);
        LayerGraph target = graph.pruned(selection.counts());
        var params = keptParams(net, graph, selection);
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        for (int i = 0; i < conf.getConfs().size(); i++) {
            var layerConf = conf.getConf(i).getLayer();
            LayerNode node = target.node(layerConf.getLayerName());
            node.op().resize(layerConf);
            InputPreProcessor pp = conf.getInputPreProcess(i);
            if (pp instanceof CnnToFeedForwardPreProcessor flatten) flatten.setNumChannels(imageChannels(target, node));
        }
        MultiLayerNetwork pruned = new MultiLayerNetwork(conf);
        pruned.init();
        load(pruned, params);
        return pruned;
    }

    /**
     * The same for a computation graph: every member of a residual add group keeps the same channels (the group's
     * selection), a depthwise conv keeps its input's, and a separable conv's two halves are resized together.
     */
    public static ComputationGraph physical(ComputationGraph net, LayerGraph graph, UnitSelection selection) {
        if (selection.isEmpty()) return Networks.copyOf(net);
        LayerGraph target = graph.pruned(selection.counts());
        var params = keptParams(net, graph, selection);
        ComputationGraphConfiguration conf = net.getConfiguration().clone();
        for (var e : conf.getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex vertex)) continue;
            var layerConf = vertex.getLayerConf().getLayer();
            LayerNode node = target.node(e.getKey());
            if (layerConf instanceof SeparableConvolution2D sc) {
                sc.setNIn(target.node(e.getKey() + Networks.DEPTHWISE_SUFFIX).inShape().dim(0));
                sc.setNOut(node.outShape().dim(0));
            } else {
                node.op().resize(layerConf);
            }
            if (vertex.getPreProcessor() instanceof CnnToFeedForwardPreProcessor flatten) flatten.setNumChannels(imageChannels(target, node));
        }
        ComputationGraph pruned = new ComputationGraph(conf);
        pruned.init();
        load(pruned, params);
        return pruned;
    }

    /**
     * The part of one parameter axis a group owns, from {@code offset}, {@code block} positions per unit: the whole axis, or
     * after a concat one input's share of it, the other inputs' positions around it being cut by their own groups or kept.
     */
    private record Cut(long offset, long block, int units, int[] kept) {
        boolean covers(long position) {
            return position >= offset && position < offset + units * block;
        }

        boolean keeps(long position) {
            return java.util.Arrays.binarySearch(kept, (int) ((position - offset) / block)) >= 0;
        }
    }

    private record AxisOf(String layer, String key, int axis) {}

    /** Copies of every layer's parameters (by DL4J layer name, then key), cut to the kept slices: one gather per parameter axis. */
    private static Map<String, Map<String, INDArray>> keptParams(Model net, LayerGraph graph, UnitSelection selection) {
        var layers = Networks.layersByName(net);
        var params = new HashMap<String, Map<String, INDArray>>();
        layers.forEach((name, layer) -> {
            var table = new HashMap<String, INDArray>();
            layer.paramTable().forEach((k, v) -> table.put(k, v.dup('c')));
            params.put(name, table);
        });
        var cuts = new java.util.LinkedHashMap<AxisOf, java.util.List<Cut>>();
        for (DependencyGroup g : graph.groups()) {
            int[] kept = selection.keptOf(g.id());
            if (kept == null) continue;
            for (DependencyGroup.Member m : g.members()) {
                String owner = Networks.layerOf(m.layer(), layers);
                if (owner == null) continue;
                for (ParamAxis a : graph.node(m.layer()).op().prunedAxes(m, layers.get(owner))) {
                    cuts.computeIfAbsent(new AxisOf(owner, a.key(), a.axis()), k -> new java.util.ArrayList<>())
                            .add(new Cut(m.offset(), a.block(), g.units(), kept));
                }
            }
        }
        cuts.forEach((at, onAxis) -> {
            var table = params.get(at.layer());
            INDArray whole = table.get(at.key());
            long length = whole.size(at.axis());
            long[] keep = java.util.stream.LongStream.range(0, length).filter(p -> onAxis.stream()
                    .allMatch(c -> !c.covers(p) || c.keeps(p))).toArray();
            table.put(at.key(), Tensors.takeRows(whole, at.axis(), keep));
            dev.squeeze.model.Backend.release(whole);
        });
        return params;
    }

    /** Loads the kept slices into the freshly built smaller network, checking each against the slot it fills. */
    private static void load(Model pruned, Map<String, Map<String, INDArray>> params) {
        var layers = Networks.layersByName(pruned);
        params.forEach((name, table) -> table.forEach((k, v) -> {
            INDArray slot = layers.get(name).getParam(k);
            if (!Arrays.equals(slot.shape(), v.shape())) {
                throw new IllegalStateException("pruning '" + name + "': parameter " + k + " is " + Arrays.toString(v.shape())
                        + " but the rebuilt layer expects " + Arrays.toString(slot.shape()));
            }
            slot.assign(v);
            dev.squeeze.model.Backend.release(v); // a copy made above: copied into the network's own buffer now
        }));
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
}
