package dev.squeeze.model;

import org.deeplearning4j.nn.conf.graph.MergeVertex;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/**
 * Concatenation of its inputs along the feature axis (DL4J's MergeVertex): images {@code [C_i, H, W]} of one size into
 * {@code [sum C_i, H, W]}, or vectors {@code [D_i]} into {@code [sum D_i]}. Each input keeps its own features, so each
 * keeps its own dependency group: the output's features are the inputs' side by side, and a reader's input rows of
 * input {@code i} start at the sum of the widths before it ({@link DependencyGroup.Member#offset}).
 */
public record ConcatOp() implements LayerOp {

    public static final OpType TYPE = OpType.ofVertex("concat", Set.of(), l -> new ConcatOp(),
            v -> v instanceof MergeVertex ? new ConcatOp() : null);

    public String type() { return TYPE.name(); }
    public long params() { return 0; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        require(inputs.size() >= 2, "concat takes at least two inputs, got " + inputs.size());
        TensorShape first = inputs.get(0);
        require(first.rank() == 3 || first.rank() == 1, "concat joins images [C,H,W] or vectors [D], got " + first);
        int features = 0;
        for (TensorShape s : inputs) {
            require(s.rank() == first.rank() && (s.rank() == 1 || s.dim(1) == first.dim(1) && s.dim(2) == first.dim(2)),
                    "concat inputs must differ only in their channels, got " + inputs);
            features += s.features();
        }
        return first.withFeatures(features);
    }

    public FeatureFlow flow() { return FeatureFlow.CONCATENATES; }

    /** A copy of its inputs side by side; a batch norm after it runs on its own (ONNX Runtime keeps Concat, then BatchNormalization). */
    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.ELEMENTWISE).takesNoFusion().build();
    }

    /** Where each input's features start in the output, in output feature positions. */
    public static List<Integer> offsets(List<TensorShape> inputs) {
        var out = new ArrayList<Integer>();
        int at = 0;
        for (TensorShape s : inputs) {
            out.add(at);
            at += s.features();
        }
        return out;
    }
}
