package dev.squeeze.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The layers of a network in topological order, with shapes, parameters, MACs, prunable units
 * and dependency groups. Built from a DL4J network or from an architecture spec; immutable.
 * Every other part of squeeze (spaces, cost model, compression, export) speaks in its layer names.
 */
public final class LayerGraph {
    private final String name;
    private final Map<String, TensorShape> inputs;
    private final List<LayerNode> nodes;
    private final Map<String, LayerNode> byName;
    private final List<DependencyGroup> groups;
    private final Map<String, DependencyGroup> groupOfProducer;
    /** Deployed blocks: each block's first layer to its layers in order (itself, then what a runtime fuses into it). */
    private final Map<String, List<String>> blocks;
    private final Map<String, String> blockOf;

    private LayerGraph(String name, Map<String, TensorShape> inputs, List<LayerNode> nodes) {
        this.name = name;
        this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        this.nodes = List.copyOf(nodes);
        var index = new LinkedHashMap<String, LayerNode>();
        for (LayerNode n : nodes) index.put(n.name(), n);
        this.byName = Collections.unmodifiableMap(index);
        this.groups = DependencyGroups.of(this);
        var owners = new HashMap<String, DependencyGroup>();
        for (DependencyGroup g : groups) {
            for (String p : g.producers()) owners.put(p, g);
        }
        this.groupOfProducer = Collections.unmodifiableMap(owners);
        var readers = new HashMap<String, Integer>();
        for (LayerNode n : nodes) for (String in : n.inputs()) readers.merge(in, 1, Integer::sum);
        var blocks = new LinkedHashMap<String, List<String>>();
        var blockOf = new HashMap<String, String>();
        for (LayerNode n : nodes) {
            String producer = n.inputs().get(0);
            String head = n.name();
            // Deployment runtimes (TensorRT, TFLite, ONNX Runtime, the Edge TPU compiler) fold a batch norm into the op before
            // it and fuse activations into it, when nothing else reads that op's output (CostTerms.takesFusion).
            if (n.op().costTerms(n).fusesIntoProducer() && byName.containsKey(producer) && readers.get(producer) == 1) {
                LayerNode p = byName.get(producer);
                if (p.op().costTerms(p).takesFusion()) head = blockOf.get(producer);
            }
            blockOf.put(n.name(), head);
            blocks.computeIfAbsent(head, k -> new ArrayList<>()).add(n.name());
        }
        blocks.replaceAll((k, v) -> List.copyOf(v));
        this.blocks = Collections.unmodifiableMap(blocks);
        this.blockOf = Collections.unmodifiableMap(blockOf);
    }

    /**
     * The layer whose deployed block {@code layer} is fused into (a batch norm or activation after a convolution, a dense
     * layer or an add, with nothing else reading what it follows), or empty when it heads its own block. Cost model,
     * compression and importance all read blocks from here.
     */
    public Optional<String> fusedInto(String layer) {
        String head = blockOf.get(node(layer).name());
        return head.equals(layer) ? Optional.empty() : Optional.of(head);
    }

    /** The last layer of the block {@code layer} heads (itself when nothing is fused into it): where its output leaves the block. */
    public String blockEnd(String layer) {
        List<String> block = blocks.get(layer);
        return block == null ? layer : block.get(block.size() - 1);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /** Graph inputs by name (usually one, named {@code input}). */
    public Map<String, TensorShape> inputs() {
        return inputs;
    }

    public List<LayerNode> nodes() {
        return nodes;
    }

    public LayerNode node(String layer) {
        LayerNode n = byName.get(layer);
        if (n == null) throw new IllegalArgumentException("no layer named '" + layer + "'");
        return n;
    }

    public boolean has(String layer) {
        return byName.containsKey(layer);
    }

    public List<String> layerNames() {
        return List.copyOf(byName.keySet());
    }

    public long params() {
        return nodes.stream().mapToLong(LayerNode::params).sum();
    }

    public long macs() {
        return nodes.stream().mapToLong(LayerNode::macs).sum();
    }

    /** The output shape of a layer, or a graph input's shape. */
    public TensorShape shapeOf(String layerOrInput) {
        TensorShape in = inputs.get(layerOrInput);
        return in != null ? in : node(layerOrInput).outShape();
    }

    /** Nodes that read the given layer's (or graph input's) output. */
    public List<LayerNode> successors(String layer) {
        return nodes.stream().filter(n -> n.inputs().contains(layer)).toList();
    }

    /** Layers nothing reads: the network's outputs. */
    public List<LayerNode> outputs() {
        return nodes.stream().filter(n -> successors(n.name()).isEmpty()).toList();
    }

    public List<DependencyGroup> groups() {
        return groups;
    }

    /** The group a layer prunes as producer (its channels, units or heads), if it can be pruned. */
    public Optional<DependencyGroup> groupOf(String layer) {
        return Optional.ofNullable(groupOfProducer.get(layer));
    }

    /** What pruning removes from this layer ({@link PrunableUnit#NONE} when it cannot be pruned). */
    public PrunableUnit prunableUnit(String layer) {
        return groupOf(layer).map(DependencyGroup::unit).orElse(PrunableUnit.NONE);
    }

    /** How many units pruning may remove from this layer (0 when it cannot be pruned). */
    public int prunableUnits(String layer) {
        return groupOf(layer).map(DependencyGroup::units).orElse(0);
    }

    /**
     * The graph after structured pruning: each group keeps {@code keptByGroup.get(id)} units (absent groups keep
     * all), and every reader is resized to what it now receives. Params and MACs of the result are what a
     * physically pruned network has; one traversal serves conv channels, dense units and attention heads.
     */
    public LayerGraph pruned(Map<String, Integer> keptByGroup) {
        var b = builder(name);
        inputs.forEach(b::input);
        for (LayerNode n : nodes) {
            int units = groupOf(n.name()).map(g -> keptByGroup.getOrDefault(g.id(), -1)).orElse(-1);
            b.add(n.name(), n.op().resized(b.shapeOf(n.inputs().get(0)), units), n.inputs());
        }
        return b.build();
    }

    /** The graph a plan's pruning leaves, kept counts rounded up to {@code align}. */
    public LayerGraph pruned(CompressionPlan plan, int align) {
        var kept = new HashMap<String, Integer>();
        for (DependencyGroup g : groups) kept.put(g.id(), plan.keptUnits(this, g, align));
        return pruned(kept);
    }

    /** Same layers, shapes and ops (the name is a label and does not count). */
    public boolean sameStructure(LayerGraph other) {
        return inputs.equals(other.inputs) && nodes.equals(other.nodes);
    }

    @Override
    public String toString() {
        return "LayerGraph[" + name + ", " + nodes.size() + " layers, " + params() + " params, " + macs() + " MACs]";
    }

    /** Adds layers in order, inferring and checking each output shape. */
    public static final class Builder {
        private final String name;
        private final Map<String, TensorShape> inputs = new LinkedHashMap<>();
        private final List<LayerNode> nodes = new ArrayList<>();
        private final Map<String, TensorShape> shapes = new HashMap<>();
        private String last;

        private Builder(String name) {
            this.name = name;
        }

        public Builder input(String inputName, TensorShape shape) {
            checkNew(inputName);
            inputs.put(inputName, shape);
            shapes.put(inputName, shape);
            last = inputName;
            return this;
        }

        /** Adds a layer fed by the previously added layer. */
        public Builder add(String layer, LayerOp op) {
            if (last == null) throw new IllegalArgumentException("layer '" + layer + "' has no input: declare the input first");
            return add(layer, op, List.of(last));
        }

        /**
         * Adds a layer fed by the named layers or inputs.
         *
         * @throws IllegalArgumentException naming the layer when an input is unknown or shapes do not fit
         */
        public Builder add(String layer, LayerOp op, List<String> from) {
            checkNew(layer);
            if (from.isEmpty()) throw new IllegalArgumentException("layer '" + layer + "' has no inputs");
            var inShapes = new ArrayList<TensorShape>();
            for (String f : from) {
                TensorShape s = shapes.get(f);
                if (s == null) {
                    throw new IllegalArgumentException("layer '" + layer + "' reads '" + f + "', which is not an earlier layer or input");
                }
                inShapes.add(s);
            }
            TensorShape out;
            try {
                out = op.outputShape(inShapes);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer '" + layer + "': " + e.getMessage(), e);
            }
            nodes.add(new LayerNode(layer, op, from, inShapes.get(0), out));
            shapes.put(layer, out);
            last = layer;
            return this;
        }

        /** The inferred output shape of an added layer or input. */
        public TensorShape shapeOf(String layerOrInput) {
            TensorShape s = shapes.get(layerOrInput);
            if (s == null) throw new IllegalArgumentException("no layer or input named '" + layerOrInput + "'");
            return s;
        }

        /** The op of an added layer. */
        public LayerOp opOf(String layer) {
            return nodes.stream().filter(n -> n.name().equals(layer)).findFirst().orElseThrow().op();
        }

        private void checkNew(String n) {
            if (n == null || n.isBlank()) throw new IllegalArgumentException("every layer needs a name");
            if (shapes.containsKey(n)) throw new IllegalArgumentException("layer name '" + n + "' is used twice");
        }

        public LayerGraph build() {
            if (nodes.isEmpty()) throw new IllegalArgumentException("graph '" + name + "' has no layers");
            return new LayerGraph(name, inputs, nodes);
        }
    }
}
