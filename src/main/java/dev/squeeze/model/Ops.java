package dev.squeeze.model;

import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.layers.Layer;

import java.util.List;
import java.util.Optional;

/** Every op type squeeze knows, in the order specs and errors list them: a new op class adds its {@code TYPE} here. */
public final class Ops {
    private Ops() {}

    public static final List<OpType> ALL = List.of(Conv2dOp.TYPE, DepthwiseConv2dOp.TYPE, DenseOp.TYPE, PoolingOp.TYPE, GlobalPoolingOp.TYPE,
            FlattenOp.TYPE, AddOp.TYPE, BatchNormOp.TYPE, LayerNormOp.TYPE, ActivationOp.TYPE, EmbeddingOp.TYPE, AttentionOp.TYPE,
            ConcatOp.TYPE);

    /** Every op type name, as specs and space selectors spell them. */
    public static List<String> names() {
        return ALL.stream().map(OpType::name).distinct().toList();
    }

    public static Optional<OpType> named(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The op of a DL4J layer, or empty when no op type reads it. */
    public static Optional<LayerOp> of(Layer layer, String layerName) {
        for (OpType t : ALL) {
            LayerOp op = t.layer().read(layer, layerName);
            if (op != null) return Optional.of(op);
        }
        return Optional.empty();
    }

    /** The op of a DL4J graph vertex that is not a layer, or empty when no op type reads it. */
    public static Optional<LayerOp> of(GraphVertex vertex) {
        for (OpType t : ALL) {
            LayerOp op = t.vertex().read(vertex);
            if (op != null) return Optional.of(op);
        }
        return Optional.empty();
    }
}
