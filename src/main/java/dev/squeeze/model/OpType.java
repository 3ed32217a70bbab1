package dev.squeeze.model;

import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.layers.Layer;

import java.util.Set;

/**
 * How one op type is spelled and read: its name in specs and space selectors, the keys a spec layer of it may have, and
 * how an op is made from a spec layer and from a DL4J layer or vertex. Each op class declares its own ({@code TYPE});
 * {@link Ops} lists them.
 *
 * @param name     the spec spelling ({@code conv2d}, ...)
 * @param specKeys the keys a spec layer of this op may have besides {@code name}, {@code op} and {@code inputs}
 * @param spec     reads a spec layer
 * @param layer    reads a DL4J layer, or returns null when the layer is not of this op (none: never a layer)
 * @param vertex   reads a DL4J graph vertex that is not a layer, or returns null (none: never a vertex)
 */
public record OpType(String name, Set<String> specKeys, SpecReader spec, LayerReader layer, VertexReader vertex) {

    /** An op read from DL4J layers. */
    public static OpType ofLayer(String name, Set<String> specKeys, SpecReader spec, LayerReader layer) {
        return new OpType(name, specKeys, spec, layer, v -> null);
    }

    /** An op read from a DL4J graph vertex. */
    public static OpType ofVertex(String name, Set<String> specKeys, SpecReader spec, VertexReader vertex) {
        return new OpType(name, specKeys, spec, (l, n) -> null, vertex);
    }

    /** An op only specs spell (DL4J has no layer of it, or squeeze reads it as part of another). */
    public static OpType ofSpec(String name, Set<String> specKeys, SpecReader spec) {
        return new OpType(name, specKeys, spec, (l, n) -> null, v -> null);
    }

    @FunctionalInterface
    public interface SpecReader {
        LayerOp read(SpecLayer layer);
    }

    @FunctionalInterface
    public interface LayerReader {
        /** @param layerName the layer's name, for errors */
        LayerOp read(Layer layer, String layerName);
    }

    @FunctionalInterface
    public interface VertexReader {
        LayerOp read(GraphVertex vertex);
    }
}
