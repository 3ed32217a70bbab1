package dev.squeeze.model;

import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Table lookup: token ids {@code [L]} to {@code [L, width]}. Specs only (squeeze's DL4J models encode tokens as rows). */
public record EmbeddingOp(int vocabulary, int width) implements LayerOp {

    public static final OpType TYPE = OpType.ofSpec("embedding", Set.of("vocabulary", "width"),
            l -> new EmbeddingOp(l.integer("vocabulary"), l.integer("width")));

    public EmbeddingOp {
        require(vocabulary > 0 && width > 0, "embedding vocabulary and width must be positive");
    }

    public String type() { return TYPE.name(); }
    public long params() { return (long) vocabulary * width; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("embedding", inputs);
        require(in.rank() == 1, "embedding needs token ids [L], got " + in);
        return TensorShape.of(in.dim(0), width);
    }

    /** Its table is what the tokens index: it reads no input features, so it consumes no group. */
    public FeatureFlow flow() { return FeatureFlow.CREATES_FIXED; }

    public boolean consumesFeatures() { return false; }

    public CostTerms costTerms(LayerNode node) {
        // token ids: negligible next to the gathered rows
        return CostTerms.builder(CostTerms.Kind.GATHER).params0(params()).scales0(width).noInputTraffic().build();
    }
}
