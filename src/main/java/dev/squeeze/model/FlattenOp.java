package dev.squeeze.model;

import java.util.List;
import java.util.Set;

/**
 * Flattens {@code [C,H,W]} channel-major into a vector (what DL4J's CnnToFeedForward preprocessor does: {@link Dl4jGraphs}
 * reads the preprocessor as this op).
 */
public record FlattenOp() implements LayerOp {

    public static final OpType TYPE = OpType.ofSpec("flatten", Set.of(), l -> new FlattenOp());

    public String type() { return TYPE.name(); }
    public long params() { return 0; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("flatten", inputs);
        return TensorShape.of(Math.toIntExact(in.elements()));
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }

    /** Channel-major: channel {@code c} becomes positions {@code c*H*W ...}. */
    public long passedRows(long rows, TensorShape in) {
        return rows * in.elementsPerFeature();
    }

    public long passedOffset(long offset, TensorShape in) {
        return offset * in.elementsPerFeature();
    }

    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.VIEW).build(); // a reshape: no kernel, no traffic
    }
}
