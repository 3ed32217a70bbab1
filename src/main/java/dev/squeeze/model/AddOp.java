package dev.squeeze.model;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;

import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Elementwise sum of inputs of one shape (residual connections: DL4J's ElementWiseVertex with Op.Add). */
public record AddOp() implements LayerOp {

    public static final OpType TYPE = OpType.ofVertex("add", Set.of(), l -> new AddOp(),
            v -> v instanceof ElementWiseVertex ew && ew.getOp() == ElementWiseVertex.Op.Add ? new AddOp() : null);

    public String type() { return TYPE.name(); }
    public long params() { return 0; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        require(inputs.size() >= 2, "add takes at least two inputs, got " + inputs.size());
        for (TensorShape s : inputs) {
            require(s.equals(inputs.get(0)), "add inputs must have one shape, got " + inputs);
        }
        return inputs.get(0);
    }

    public FeatureFlow flow() { return FeatureFlow.MERGES; }
}
