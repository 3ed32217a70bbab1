package dev.squeeze.model;

import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/** Max or average pooling over {@code [C, H, W]}. */
public record PoolingOp(String mode, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("pooling", Set.of("mode", "kernel", "stride", "padding"),
            l -> {
                int[] k = l.pair("kernel", null);
                int[] s = l.pair("stride", k);
                int[] p = l.pair("padding", new int[]{0, 0});
                return new PoolingOp(l.text("mode", "max"), k[0], k[1], s[0], s[1], p[0], p[1]);
            },
            (layer, name) -> {
                if (!(layer instanceof SubsamplingLayer p) || p.getClass() != SubsamplingLayer.class) return null;
                String mode = switch (p.getPoolingType()) {
                    case MAX -> "max";
                    case AVG -> "avg";
                    default -> throw Dl4jGraphs.unsupported(name, p.getPoolingType() + " pooling");
                };
                int[] k = p.getKernelSize(), s = p.getStride();
                int[] pad = Dl4jGraphs.padding(p.getConvolutionMode(), k, p.getPadding());
                return new PoolingOp(mode, k[0], k[1], s[0], s[1], pad[0], pad[1]);
            });

    public PoolingOp {
        require(mode.equals("max") || mode.equals("avg"), "pooling mode must be max or avg, got " + mode);
        require(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "pooling kernel and stride must be positive");
    }

    public String type() { return TYPE.name(); }
    public long params() { return 0; }

    public TensorShape outputShape(List<TensorShape> inputs) {
        TensorShape in = LayerOp.single("pooling", inputs);
        require(in.rank() == 3, "pooling needs an image input [C,H,W], got " + in);
        int h = (in.dim(1) + 2 * padH - kernelH) / strideH + 1;
        int w = (in.dim(2) + 2 * padW - kernelW) / strideW + 1;
        require(h > 0 && w > 0, "pooling kernel does not fit input " + in);
        return TensorShape.of(in.dim(0), h, w);
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }
}
