package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Layer normalisation over the last dimension: gamma and beta are parameters. Specs only: DL4J has no such layer. */
public record LayerNormOp(int features) implements LayerOp {

    public static final OpType TYPE = OpType.ofSpec("layernorm", Set.of("features"),
            l -> new LayerNormOp(l.integer("features", l.in().last())));

    public String type() { return TYPE.name(); }
    public long params() { return 2L * features; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("layernorm", inputs);
        require(in.last() == features, "layernorm has " + features + " features, its input has " + in.last());
        return in;
    }

    public LayerOp resized(TensorShape in, int units) {
        return new LayerNormOp(in.last());
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }

    public CostTerms costTerms(LayerNode node) {
        return CostTerms.elementwise(params());
    }

    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        if (m.role() != DependencyGroup.Role.FOLLOWER) throw notPrunable(m);
        var axes = new ArrayList<ParamAxis>();
        for (String k : layer.paramTable().keySet()) axes.add(new ParamAxis(k, LayerOp.last(layer, k), m.rowsPerUnit()));
        return axes;
    }
}
