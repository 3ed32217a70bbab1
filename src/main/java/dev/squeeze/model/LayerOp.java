package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;

import java.util.List;

/**
 * What a layer computes, with the hyper-parameters that fix its parameter count and cost. Each op type is one class
 * that holds all of squeeze's knowledge of it: how it is spelled in specs and read from DL4J (its {@link OpType}, listed
 * in {@link Ops}), its shapes, parameters and MACs, its feature flow (which decides the dependency groups), which DL4J
 * parameter axes pruning cuts and how it resizes the DL4J layer, and its {@link CostTerms}. The same records are built
 * from a DL4J network and from a weights-free architecture spec, so both give identical {@link LayerGraph}s. MACs count
 * multiply-accumulates of one example (biases, normalisation, activations and pooling count zero, as in the usual
 * published figures).
 */
public interface LayerOp {

    /** The op's name in specs and JSON ({@code conv2d}, {@code dense}, ...). */
    String type();

    /** Learnable parameters (normalisation running statistics are buffers, not parameters). */
    long params();

    /** Multiply-accumulates for one example. */
    default long macs(TensorShape in, TensorShape out) {
        return 0;
    }

    /** Output shape for the given inputs; throws {@link IllegalArgumentException} when they do not fit. */
    TensorShape outputShape(List<TensorShape> inputs);

    /** How the op treats the feature dimension (channels, units) of its input. */
    FeatureFlow flow();

    /** The units structured pruning removes from this op itself (heads are internal to attention). */
    default PrunableUnit unit() {
        return PrunableUnit.NONE;
    }

    /** How many of {@link #unit()} the op has. */
    default int unitCount() {
        return 0;
    }

    /**
     * The same op fitted to a (pruned) input shape and, for a producer, a new unit count
     * ({@code units < 0} keeps its own). Ops without feature-sized hyper-parameters return themselves.
     */
    default LayerOp resized(TensorShape in, int units) {
        return this;
    }

    /** How a cost model prices one execution of this op (see {@link CostTerms}). */
    default CostTerms costTerms(LayerNode node) {
        return CostTerms.elementwise();
    }

    /** The DL4J parameter keys of the op's weight matrices, as weight quantisation and importance see them. */
    default List<String> weightKeys() {
        return List.of();
    }

    /** The axis of weight {@code key} that indexes output channels (per-channel quantisation); -1: rows are (head, position) pairs. */
    default int outputAxis(String key) {
        throw new IllegalArgumentException(type() + " has no weight " + key);
    }

    /**
     * Every DL4J parameter axis that a dependency group's units index in this op, for its role in the group
     * ({@code m}); {@code layer} is the DL4J layer holding the parameters. Layouts as DL4J stores them, checked by
     * PruningTest. Ops that take no part in pruning pass features through without parameters.
     */
    default List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        if (m.role() == DependencyGroup.Role.FOLLOWER && layer.paramTable().isEmpty()) return List.of();
        throw notPrunable(m);
    }

    /**
     * The axes masking must zero so the network computes what the physically pruned one does: the readers' input rows
     * (an op whose own output a removed unit never leaves overrides this: attention's heads).
     */
    default List<ParamAxis> maskedAxes(DependencyGroup.Member m, Layer layer) {
        return m.role() == DependencyGroup.Role.CONSUMER ? prunedAxes(m, layer) : List.of();
    }

    /** Sets the DL4J layer configuration's sizes to this (pruned) op's; ops without sizes leave it alone. */
    default void resize(org.deeplearning4j.nn.conf.layers.Layer conf) {}

    default IllegalArgumentException notPrunable(DependencyGroup.Member m) {
        return new IllegalArgumentException("layer '" + m.layer() + "' (" + type() + ") cannot take part in structured pruning as "
                + m.role().name().toLowerCase(java.util.Locale.ROOT));
    }

    /** Feature-dimension behaviour, which decides the dependency groups. */
    enum FeatureFlow {
        /** Consumes the input features and makes a new feature space (conv, dense). */
        CREATES,
        /** Makes a new feature space that pruning may not shrink (embedding, attention output). */
        CREATES_FIXED,
        /** Keeps the input's features one-to-one (batchnorm, activation, pooling, flatten, depthwise conv). */
        PASSES,
        /** Ties the feature spaces of all inputs together (elementwise add). */
        MERGES,
        /** Lays its inputs' features side by side, each keeping its own space (concat). */
        CONCATENATES
    }

    /** Whether a CREATES op reads its input's features (an embedding's table is indexed by token ids instead). */
    default boolean consumesFeatures() {
        return true;
    }

    /** For an op that passes features on: output positions per unit, given {@code rows} input positions per unit. */
    default long passedRows(long rows, TensorShape in) {
        return rows;
    }

    /** For an op that passes features on: where input feature position {@code offset} lands in the output. */
    default long passedOffset(long offset, TensorShape in) {
        return offset;
    }

    static TensorShape single(String op, List<TensorShape> inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(op + " takes exactly one input, got " + inputs.size());
        }
        return inputs.get(0);
    }

    static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** Whether {@code layer}'s parameter table holds {@code key}. */
    static boolean has(Layer layer, String key) {
        return layer.paramTable().containsKey(key);
    }

    /** The last axis of parameter {@code key}: where biases and normalisation vectors index features. */
    static int last(Layer layer, String key) {
        return layer.getParam(key).rank() - 1;
    }
}
