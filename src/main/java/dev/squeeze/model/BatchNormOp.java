package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Batch normalisation over the feature axis: gamma and beta are parameters (mean and variance are DL4J parameters too, buffers here). */
public record BatchNormOp(int features) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("batchnorm", Set.of("features"),
            l -> new BatchNormOp(l.integer("features", l.in().features())),
            (layer, name) -> layer instanceof BatchNormalization bn ? new BatchNormOp((int) bn.getNOut()) : null);

    public String type() { return TYPE.name(); }
    public long params() { return 2L * features; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("batchnorm", inputs);
        require(in.features() == features, "batchnorm has " + features + " features, its input has " + in.features());
        return in;
    }

    public LayerOp resized(TensorShape in, int units) {
        return new BatchNormOp(in.features());
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }

    /** Folded into the convolution before it by deployment runtimes (TensorRT, TFLite, ONNX Runtime, the Edge TPU compiler). */
    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.ELEMENTWISE).paramsY(params()).fusesIntoProducer().build();
    }

    /** Every vector (gamma, beta, mean, variance) indexes features on its last axis. */
    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        if (m.role() != DependencyGroup.Role.FOLLOWER) throw notPrunable(m);
        var axes = new ArrayList<ParamAxis>();
        for (String k : layer.paramTable().keySet()) axes.add(new ParamAxis(k, LayerOp.last(layer, k), m.rowsPerUnit()));
        return axes;
    }

    public void resize(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof FeedForwardLayer f) {
            f.setNIn(features);
            f.setNOut(features);
        }
    }
}
