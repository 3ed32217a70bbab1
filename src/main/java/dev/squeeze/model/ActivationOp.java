package dev.squeeze.model;

import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;

import java.util.List;
import java.util.Set;

/** A parameter-free nonlinearity (relu, gelu, softmax, ...) or dropout, shape-preserving. */
public record ActivationOp(String function) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("activation", Set.of("function"),
            l -> new ActivationOp(l.text("function")),
            (layer, name) -> layer instanceof ActivationLayer ? new ActivationOp(Dl4jGraphs.activation(layer))
                    : layer instanceof DropoutLayer ? new ActivationOp("dropout") : null);

    public String type() { return TYPE.name(); }
    public long params() { return 0; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        return LayerOp.single("activation", inputs);
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }

    /** Fused into the op before it by deployment runtimes. */
    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.ELEMENTWISE).fusesIntoProducer().build();
    }
}
