package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/**
 * Multi-head self-attention over {@code [L, inWidth]}: Q, K, V projections to {@code heads x headSize}, scaled dot-product
 * attention, output projection to {@code outWidth}. DL4J stores Wq/Wk/Wv as [heads, headSize, in] and Wo as
 * [heads*headSize, out].
 */
public record AttentionOp(int inWidth, int heads, int headSize, int outWidth, boolean bias) implements LayerOp {

    private static final List<String> PROJECTIONS = List.of("Wq", "Wk", "Wv");

    public static final OpType TYPE = OpType.ofLayer("attention", Set.of("in", "heads", "head_size", "out", "bias"),
            l -> {
                int width = l.integer("in", l.in().last());
                int heads = l.integer("heads");
                if (heads <= 0) throw l.error("heads must be positive");
                int headSize = l.integer("head_size", width / heads);
                return new AttentionOp(width, heads, headSize, l.integer("out", width), l.bool("bias", true));
            },
            (layer, name) -> {
                if (!(layer instanceof SelfAttentionLayer a)) return null;
                if (!a.isProjectInput()) throw Dl4jGraphs.unsupported(name, "self-attention without input projection");
                return new AttentionOp((int) a.getNIn(), a.getNHeads(), (int) a.getHeadSize(), (int) a.getNOut(), false);
            });

    public AttentionOp {
        require(inWidth > 0 && heads > 0 && headSize > 0 && outWidth > 0, "attention sizes must be positive");
    }

    public String type() { return TYPE.name(); }

    public long params() {
        long inner = (long) heads * headSize;
        return 3 * inner * inWidth + inner * outWidth + (bias ? 3 * inner + outWidth : 0);
    }

    public long macs(TensorShape in, TensorShape out) {
        long length = in.dim(0);
        long inner = (long) heads * headSize;
        return 3 * length * inWidth * inner      // Q, K, V projections
                + 2 * length * length * inner    // scores and weighted sum
                + length * inner * outWidth;     // output projection
    }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("attention", inputs);
        require(in.rank() == 2, "attention needs a sequence input [L,D], got " + in);
        require(in.dim(1) == inWidth, "attention expects width " + inWidth + ", its input has " + in.dim(1));
        return TensorShape.of(in.dim(0), outWidth);
    }

    public FeatureFlow flow() { return FeatureFlow.CREATES_FIXED; }
    public PrunableUnit unit() { return PrunableUnit.HEADS; }
    public int unitCount() { return heads; }

    public LayerOp resized(TensorShape in, int units) {
        return new AttentionOp(in.last(), units < 0 ? heads : units, headSize, outWidth, bias);
    }

    /** Three kernels: the QKV projection, the fused attention core, the output projection. Heads shrink the inner width; the output width stays. */
    public CostTerms costTerms(LayerNode node) {
        double length = node.inShape().dim(0), inner = (double) heads * headSize;
        return CostTerms.builder(CostTerms.Kind.MATMUL).kernels(3)
                .macsXY(3 * length * inWidth * inner)
                .macsY(2 * length * length * inner + length * inner * outWidth)
                .paramsXY(3 * inner * inWidth)
                .paramsY(inner * outWidth + (bias ? 3 * inner : 0))
                .params0(bias ? outWidth : 0)
                .scalesY(3 * inner).scales0(outWidth)
                .blockedY(3 * inner, inWidth).blocked0(outWidth, inner)
                .matrix(inner, inWidth, length)
                .fixedOutput().build();
    }

    public List<String> weightKeys() {
        return List.of("Wq", "Wk", "Wv", "Wo");
    }

    public int outputAxis(String key) {
        return PROJECTIONS.contains(key) ? -1 : 1; // Q/K/V rows are (head, headSize) pairs; Wo is [in, out]
    }

    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        var axes = new ArrayList<ParamAxis>();
        switch (m.role()) {
            case PRODUCER -> {
                for (String k : PROJECTIONS) axes.add(new ParamAxis(k, 0, 1));
                axes.add(new ParamAxis("Wo", 0, headSize));
            }
            case CONSUMER -> {
                for (String k : PROJECTIONS) axes.add(new ParamAxis(k, 2, m.rowsPerUnit()));
            }
            case FOLLOWER -> throw notPrunable(m);
        }
        return axes;
    }

    /** A head's output never leaves the layer: masking a head zeroes its rows of the output projection. */
    public List<ParamAxis> maskedAxes(DependencyGroup.Member m, Layer layer) {
        if (m.role() == DependencyGroup.Role.PRODUCER) return prunedAxes(m, layer).stream().filter(a -> a.key().equals("Wo")).toList();
        return LayerOp.super.maskedAxes(m, layer);
    }

    public void resize(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof SelfAttentionLayer s) {
            s.setNIn(inWidth);
            s.setNHeads(heads);
            s.setNOut(outWidth);
            s.setLayerParams(null); // cached parameter shapes: recomputed from the new sizes
        }
    }
}
