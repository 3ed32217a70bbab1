package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/**
 * 2-D convolution over {@code [C, H, W]}, possibly grouped ({@code groups == in == out} is a {@link DepthwiseConv2dOp}).
 * DL4J stores W as [out, in, kh, kw]; the pointwise half of a separable conv (graph node {@code <name>}) as
 * pW [out, in, 1, 1].
 */
public record Conv2dOp(int inChannels, int outChannels, int kernelH, int kernelW, int strideH, int strideW,
                       int padH, int padW, int groups, boolean bias, String activation) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("conv2d",
            Set.of("in", "out", "kernel", "stride", "padding", "groups", "bias", "activation"),
            l -> {
                int[] k = l.pair("kernel", null);
                int[] s = l.pair("stride", new int[]{1, 1});
                int[] p = l.pair("padding", new int[]{0, 0});
                return of(l.integer("in", l.in().dim(0)), l.integer("out"), k[0], k[1], s[0], s[1], p[0], p[1],
                        l.integer("groups", 1), l.bool("bias", true), l.text("activation", "identity"));
            },
            Conv2dOp::read);

    public Conv2dOp {
        require(inChannels > 0 && outChannels > 0, "conv2d channels must be positive");
        require(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "conv2d kernel and stride must be positive");
        require(padH >= 0 && padW >= 0, "conv2d padding must be >= 0");
        require(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                "conv2d groups (" + groups + ") must divide in (" + inChannels + ") and out (" + outChannels + ") channels");
        require(groups == 1 || groups != inChannels || groups != outChannels, "a depthwise conv2d is a DepthwiseConv2dOp (Conv2dOp.of picks it)");
    }

    private static LayerOp read(org.deeplearning4j.nn.conf.layers.Layer layer, String name) {
        if (layer instanceof ConvolutionLayer c && c.getClass() == ConvolutionLayer.class) {
            int[] k = c.getKernelSize(), s = c.getStride(), d = c.getDilation();
            if (d[0] != 1 || d[1] != 1) throw Dl4jGraphs.unsupported(name, "dilated convolution");
            int[] pad = Dl4jGraphs.padding(c.getConvolutionMode(), k, c.getPadding());
            return new Conv2dOp((int) c.getNIn(), (int) c.getNOut(), k[0], k[1], s[0], s[1], pad[0], pad[1], 1,
                    c.hasBias(), Dl4jGraphs.activation(layer));
        }
        return null;
    }

    /** A convolution of these sizes: depthwise when every group is one channel in and out, else this op. */
    public static LayerOp of(int in, int out, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int groups,
                             boolean bias, String activation) {
        if (groups > 1 && groups == in && groups == out) {
            return new DepthwiseConv2dOp(in, kernelH, kernelW, strideH, strideW, padH, padW, bias, activation);
        }
        return new Conv2dOp(in, out, kernelH, kernelW, strideH, strideW, padH, padW, groups, bias, activation);
    }

    public String type() { return TYPE.name(); }

    public long params() {
        return weights() + (bias ? outChannels : 0);
    }

    private long weights() {
        return (long) outChannels * (inChannels / groups) * kernelH * kernelW;
    }

    public long macs(TensorShape in, TensorShape out) {
        return out.elements() * (inChannels / groups) * kernelH * kernelW;
    }

    public TensorShape outputShape(List<TensorShape> inputs) {
        return convolved(inputs, inChannels, outChannels, kernelH, kernelW, strideH, strideW, padH, padW);
    }

    /** A convolution's output {@code [out, H', W']} over its one image input of {@code in} channels (grouped or not). */
    static TensorShape convolved(List<TensorShape> inputs, int inChannels, int outChannels, int kernelH, int kernelW,
                                 int strideH, int strideW, int padH, int padW) {
        TensorShape in = LayerOp.single("conv2d", inputs);
        require(in.rank() == 3, "conv2d needs an image input [C,H,W], got " + in);
        require(in.dim(0) == inChannels, "conv2d expects " + inChannels + " input channels, its input has " + in.dim(0));
        int h = (in.dim(1) + 2 * padH - kernelH) / strideH + 1;
        int w = (in.dim(2) + 2 * padW - kernelW) / strideW + 1;
        require(h > 0 && w > 0, "conv2d kernel " + kernelH + "x" + kernelW + " does not fit input " + in);
        return TensorShape.of(outChannels, h, w);
    }

    public FeatureFlow flow() { return FeatureFlow.CREATES; }
    public PrunableUnit unit() { return PrunableUnit.CHANNELS; }
    public int unitCount() { return outChannels; }

    public LayerOp resized(TensorShape in, int units) {
        return new Conv2dOp(in.dim(0), units < 0 ? outChannels : units, kernelH, kernelW, strideH, strideW, padH, padW, groups, bias, activation);
    }

    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.MATMUL).macsXY(node.macs()).paramsXY(weights()).paramsY(bias ? outChannels : 0)
                .scalesY(outChannels)
                .matrix(outChannels, (double) (inChannels / groups) * kernelH * kernelW, node.outShape().elementsPerFeature()).build();
    }

    public List<String> weightKeys() {
        return List.of("W");
    }

    public int outputAxis(String key) {
        return 0;
    }

    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        var axes = new ArrayList<ParamAxis>();
        switch (m.role()) {
            case PRODUCER -> {
                axes.add(new ParamAxis(separable(layer) ? "pW" : "W", 0, 1));
                if (LayerOp.has(layer, "b")) axes.add(new ParamAxis("b", LayerOp.last(layer, "b"), 1));
            }
            case FOLLOWER -> throw notPrunable(m);
            case CONSUMER -> {
                axes.add(new ParamAxis(separable(layer) ? "pW" : "W", 1, m.rowsPerUnit()));
            }
        }
        return axes;
    }

    public void resize(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof FeedForwardLayer f) {
            f.setNIn(inChannels);
            f.setNOut(outChannels);
        }
    }

    /** Whether the DL4J layer is a separable convolution (both of its graph nodes live in it). */
    private static boolean separable(Layer layer) {
        return layer.conf().getLayer() instanceof SeparableConvolution2D;
    }
}
