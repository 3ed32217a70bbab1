package dev.squeeze.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** The {@code inspect} service: a model's or spec's layers as a serialisable report. */
public final class Inspection {
    private Inspection() {}

    /**
     * @param params             all learnable parameters (normalisation running statistics excluded)
     * @param embeddingParams    parameters in embedding tables (included in {@code params})
     * @param nonEmbeddingParams {@code params - embeddingParams}, the figure transformer papers quote
     * @param card               how the model was trained; absent for specs
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Report(String name, String source, List<Integer> input, long params, long embeddingParams,
                         long nonEmbeddingParams, long macs, List<Block> blocks, List<Layer> layers, List<Group> groups,
                         ModelCard card) {}

    /** Layers summed by the first part of their dotted name ({@code encoder.3.attention} -> {@code encoder}). */
    public record Block(String name, int layers, long params, long macs) {}

    /** One layer; {@code group} names the dependency group it prunes as producer. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Layer(String name, String type, List<String> inputs, List<Integer> inputShape, List<Integer> outputShape,
                        long params, long macs, int prunableUnits, String unit, String group) {}

    /**
     * A dependency group: producers, followers and consumers that one pruning decision changes together.
     * {@code residualAdds} names the elementwise adds that tie its producers (a residual add group), else empty.
     */
    public record Group(String id, String unit, int units, List<String> producers, List<String> followers, List<String> consumers,
                        List<String> residualAdds) {}

    public static Report ofModel(String nameOrPath) {
        ModelHandle m = ModelStore.load(nameOrPath);
        return of(m.graph(), m.source(), m.card());
    }

    public static Report ofSpec(String nameOrPath) {
        LayerGraph g = ArchitectureSpecs.load(nameOrPath);
        return of(g, ArchitectureSpecs.BUILT_IN.contains(nameOrPath) ? "built-in spec:" + nameOrPath : nameOrPath, null);
    }

    public static Report of(LayerGraph g, String source, ModelCard card) {
        var layers = g.nodes().stream().map(n -> new Layer(n.name(), n.type(), n.inputs(), n.inShape().dims(),
                n.outShape().dims(), n.params(), n.macs(), g.prunableUnits(n.name()), g.prunableUnit(n.name()).label(),
                g.groupOf(n.name()).map(DependencyGroup::id).orElse(null))).toList();
        var groups = g.groups().stream().map(gr -> new Group(gr.id(), gr.unit().label(), gr.units(), gr.producers(),
                gr.layers(DependencyGroup.Role.FOLLOWER), gr.layers(DependencyGroup.Role.CONSUMER),
                gr.layers(DependencyGroup.Role.FOLLOWER).stream().filter(l -> g.node(l).type().equals("add")).toList())).toList();
        long embedding = g.nodes().stream().filter(n -> n.op() instanceof EmbeddingOp).mapToLong(LayerNode::params).sum();
        var input = g.inputs().values().iterator().next().dims();
        var blocks = new java.util.LinkedHashMap<String, Block>();
        for (LayerNode n : g.nodes()) {
            String block = n.name().contains(".") ? n.name().substring(0, n.name().indexOf('.')) : n.name();
            blocks.merge(block, new Block(block, 1, n.params(), n.macs()),
                    (a, b) -> new Block(a.name(), a.layers() + 1, a.params() + b.params(), a.macs() + b.macs()));
        }
        return new Report(g.name(), source, input, g.params(), embedding, g.params() - embedding, g.macs(),
                List.copyOf(blocks.values()), layers, groups, card);
    }
}
