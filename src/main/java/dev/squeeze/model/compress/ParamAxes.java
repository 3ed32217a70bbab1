package dev.squeeze.model.compress;

import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.DependencyGroup.Role;
import dev.squeeze.model.LayerOp;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a group's units sit in a member's DL4J parameters (layouts as DL4J stores them, checked by PruningTest): conv W is
 * [out, in, kh, kw], dense W is [in, out], attention Wq/Wk/Wv are [heads, headSize, in] and Wo is
 * [heads*headSize, out], biases and normalisation vectors index features on their last axis; a depthwise conv's W is
 * [kh, kw, channels, 1]; a separable conv holds its depthwise half's W as [1, in, kh, kw] and its pointwise half's as
 * pW [out, in, 1, 1] (the graph names the halves {@code <name>.depthwise} and {@code <name>}). Pruning,
 * masking and importance all read this one table, so a new layer type is taught here once.
 */
final class ParamAxes {
    private ParamAxes() {}

    /**
     * @param key   the DL4J parameter key
     * @param axis  the axis indexing the unit
     * @param block consecutive positions per unit along that axis
     */
    record Axis(String key, int axis, long block) {}

    /** Every parameter axis the member's role ties to the group's units. */
    static List<Axis> of(DependencyGroup.Member m, LayerOp op, Layer layer) {
        var axes = new ArrayList<Axis>();
        switch (m.role()) {
            case PRODUCER -> {
                if (op instanceof LayerOp.Conv2d) {
                    axes.add(new Axis(separable(layer) ? "pW" : "W", 0, 1));
                    if (has(layer, "b")) axes.add(new Axis("b", last(layer, "b"), 1));
                } else if (op instanceof LayerOp.Dense) {
                    axes.add(new Axis("W", 1, 1));
                    if (has(layer, "b")) axes.add(new Axis("b", last(layer, "b"), 1));
                } else if (op instanceof LayerOp.Attention a) {
                    for (String k : new String[]{"Wq", "Wk", "Wv"}) axes.add(new Axis(k, 0, 1));
                    axes.add(new Axis("Wo", 0, a.headSize()));
                } else {
                    throw unsupported(m, op);
                }
            }
            case FOLLOWER -> {
                if (op instanceof LayerOp.BatchNorm || op instanceof LayerOp.LayerNorm) {
                    for (String k : layer.paramTable().keySet()) axes.add(new Axis(k, last(layer, k), m.rowsPerUnit()));
                } else if (op instanceof LayerOp.Conv2d c && c.depthwise()) {
                    if (separable(layer)) {
                        axes.add(new Axis("W", 1, 1)); // the separable layer's bias belongs to its pointwise half
                    } else {
                        axes.add(new Axis("W", 2, 1));
                        if (has(layer, "b")) axes.add(new Axis("b", last(layer, "b"), 1));
                    }
                } else if (!layer.paramTable().isEmpty()) {
                    throw unsupported(m, op);
                }
            }
            case CONSUMER -> {
                if (op instanceof LayerOp.Conv2d c && !c.depthwise()) {
                    axes.add(new Axis(separable(layer) ? "pW" : "W", 1, m.rowsPerUnit()));
                } else if (op instanceof LayerOp.Dense) {
                    axes.add(new Axis("W", 0, m.rowsPerUnit()));
                } else if (op instanceof LayerOp.Attention) {
                    for (String k : new String[]{"Wq", "Wk", "Wv"}) axes.add(new Axis(k, 2, m.rowsPerUnit()));
                } else {
                    throw unsupported(m, op);
                }
            }
        }
        return axes;
    }

    /**
     * The axes masking must zero so the network computes what the physically pruned one does: the readers'
     * input rows, and for heads the output projection's rows (a head's output never leaves the layer).
     */
    static List<Axis> masked(DependencyGroup.Member m, LayerOp op, Layer layer) {
        if (m.role() == Role.CONSUMER) return of(m, op, layer);
        if (m.role() == Role.PRODUCER && op instanceof LayerOp.Attention) {
            return of(m, op, layer).stream().filter(a -> a.key().equals("Wo")).toList();
        }
        return List.of();
    }

    /** The weight matrices of a layer, as weight quantisation and importance see them. */
    static String[] weights(LayerOp op) {
        if (op instanceof LayerOp.Conv2d || op instanceof LayerOp.Dense) return new String[]{"W"};
        if (op instanceof LayerOp.Attention) return new String[]{"Wq", "Wk", "Wv", "Wo"};
        return new String[0];
    }

    /** The axis of a weight that indexes its output channels (per-channel quantisation). */
    static int outputAxis(LayerOp op, String key) {
        if (op instanceof LayerOp.Conv2d c) return c.depthwise() ? 2 : 0; // depthwise W [kh, kw, channels, 1]
        if (key.equals("Wq") || key.equals("Wk") || key.equals("Wv")) return -1; // rows are (head, headSize) pairs
        return 1; // dense W and Wo are [in, out]
    }

    /** Whether the DL4J layer is a separable convolution (both of its graph nodes live in it). */
    private static boolean separable(Layer layer) {
        return layer.conf().getLayer() instanceof SeparableConvolution2D;
    }

    private static boolean has(Layer layer, String key) {
        return layer.paramTable().containsKey(key);
    }

    private static int last(Layer layer, String key) {
        return layer.getParam(key).rank() - 1;
    }

    private static IllegalArgumentException unsupported(DependencyGroup.Member m, LayerOp op) {
        return new IllegalArgumentException("layer '" + m.layer() + "' (" + op.type() + ") cannot take part in structured pruning as "
                + m.role().name().toLowerCase(java.util.Locale.ROOT));
    }
}
