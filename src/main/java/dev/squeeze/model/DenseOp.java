package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Fully connected layer over the last dimension (applied per token for sequences); DL4J stores W as [in, out]. */
public record DenseOp(int in, int out, boolean bias, String activation) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("dense", Set.of("in", "out", "bias", "activation"),
            l -> new DenseOp(l.integer("in", l.in().last()), l.integer("out"), l.bool("bias", true), l.text("activation", "identity")),
            (layer, name) -> {
                if (layer instanceof OutputLayer o) return new DenseOp((int) o.getNIn(), (int) o.getNOut(), o.hasBias(), Dl4jGraphs.activation(layer));
                if (layer instanceof DenseLayer d) return new DenseOp((int) d.getNIn(), (int) d.getNOut(), d.hasBias(), Dl4jGraphs.activation(layer));
                return null;
            });

    public DenseOp {
        require(in > 0 && out > 0, "dense in and out must be positive");
    }

    public String type() { return TYPE.name(); }

    public long params() {
        return (long) in * out + (bias ? out : 0);
    }

    public long macs(TensorShape inShape, TensorShape outShape) {
        return outShape.elements() * in;
    }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape s = LayerOp.single("dense", inputs);
        require(s.rank() != 3, "dense needs a vector or sequence input; add a flatten after " + s);
        require(s.last() == in, "dense expects " + in + " inputs, its input has " + s.last());
        var dims = new ArrayList<>(s.dims());
        dims.set(dims.size() - 1, out);
        return new TensorShape(dims);
    }

    public FeatureFlow flow() { return FeatureFlow.CREATES; }
    public PrunableUnit unit() { return PrunableUnit.UNITS; }
    public int unitCount() { return out; }

    public LayerOp resized(TensorShape inShape, int units) {
        return new DenseOp(inShape.last(), units < 0 ? out : units, bias, activation);
    }

    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.MATMUL).macsXY(node.macs()).paramsXY((double) in * out).paramsY(bias ? out : 0)
                .scalesY(out).blockedY(out, in).matrix(out, in, node.outShape().elements() / (double) out).build();
    }

    public List<String> weightKeys() {
        return List.of("W");
    }

    public int outputAxis(String key) {
        return 1; // W is [in, out]
    }

    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        return switch (m.role()) {
            case PRODUCER -> LayerOp.has(layer, "b") ? List.of(new ParamAxis("W", 1, 1), new ParamAxis("b", LayerOp.last(layer, "b"), 1))
                    : List.of(new ParamAxis("W", 1, 1));
            case CONSUMER -> List.of(new ParamAxis("W", 0, m.rowsPerUnit()));
            case FOLLOWER -> throw notPrunable(m);
        };
    }

    public void resize(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof FeedForwardLayer f) {
            f.setNIn(in);
            f.setNOut(out);
        }
    }
}
