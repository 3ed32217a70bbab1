package dev.squeeze.model;

import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;

import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Global pooling: {@code [C,H,W] -> [C]} or {@code [L,D] -> [D]}. */
public record GlobalPoolingOp(String mode) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("global_pooling", Set.of("mode"),
            l -> new GlobalPoolingOp(l.text("mode", "avg")),
            (layer, name) -> {
                if (!(layer instanceof GlobalPoolingLayer g)) return null;
                if (g.getPoolingType() != PoolingType.MAX && g.getPoolingType() != PoolingType.AVG) {
                    throw Dl4jGraphs.unsupported(name, g.getPoolingType() + " global pooling");
                }
                return new GlobalPoolingOp(g.getPoolingType() == PoolingType.MAX ? "max" : "avg");
            });

    public String type() { return TYPE.name(); }
    public long params() { return 0; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("global_pooling", inputs);
        require(in.rank() >= 2, "global_pooling needs an image or sequence input, got " + in);
        return TensorShape.of(in.features());
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }

    /** Each feature's positions pool into one. */
    public long passedRows(long rows, TensorShape in) {
        return 1;
    }
}
