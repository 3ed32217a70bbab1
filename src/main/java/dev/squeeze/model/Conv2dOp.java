package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/**
 * 2-D convolution over {@code [C, H, W]}; {@code groups == in == out} is depthwise. DL4J stores W as [out, in, kh, kw]
 * (a depthwise conv's as [kh, kw, channels, 1]; a separable conv holds its depthwise half's W as [1, in, kh, kw] and its
 * pointwise half's as pW [out, in, 1, 1]: the graph names the halves {@code <name>.depthwise} and {@code <name>}).
 */
public record Conv2dOp(int inChannels, int outChannels, int kernelH, int kernelW, int strideH, int strideW,
                       int padH, int padW, int groups, boolean bias, String activation) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer("conv2d",
            Set.of("in", "out", "kernel", "stride", "padding", "groups", "bias", "activation"),
            l -> {
                int[] k = l.pair("kernel", null);
                int[] s = l.pair("stride", new int[]{1, 1});
                int[] p = l.pair("padding", new int[]{0, 0});
                return new Conv2dOp(l.integer("in", l.in().dim(0)), l.integer("out"), k[0], k[1], s[0], s[1], p[0], p[1],
                        l.integer("groups", 1), l.bool("bias", true), l.text("activation", "identity"));
            },
            Conv2dOp::read);

    public Conv2dOp {
        require(inChannels > 0 && outChannels > 0, "conv2d channels must be positive");
        require(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "conv2d kernel and stride must be positive");
        require(padH >= 0 && padW >= 0, "conv2d padding must be >= 0");
        require(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                "conv2d groups (" + groups + ") must divide in (" + inChannels + ") and out (" + outChannels + ") channels");
    }

    private static LayerOp read(org.deeplearning4j.nn.conf.layers.Layer layer, String name) {
        if (layer instanceof ConvolutionLayer c && c.getClass() == ConvolutionLayer.class) {
            int[] k = c.getKernelSize(), s = c.getStride(), d = c.getDilation();
            if (d[0] != 1 || d[1] != 1) throw Dl4jGraphs.unsupported(name, "dilated convolution");
            int[] pad = Dl4jGraphs.padding(c.getConvolutionMode(), k, c.getPadding());
            return new Conv2dOp((int) c.getNIn(), (int) c.getNOut(), k[0], k[1], s[0], s[1], pad[0], pad[1], 1,
                    c.hasBias(), Dl4jGraphs.activation(layer));
        }
        if (layer instanceof DepthwiseConvolution2D dw) {
            int[] k = dw.getKernelSize(), s = dw.getStride(), d = dw.getDilation();
            if (d[0] != 1 || d[1] != 1) throw Dl4jGraphs.unsupported(name, "dilated convolution");
            int[] pad = Dl4jGraphs.padding(dw.getConvolutionMode(), k, dw.getPadding());
            int in = (int) dw.getNIn();
            return new Conv2dOp(in, (int) dw.getNOut(), k[0], k[1], s[0], s[1], pad[0], pad[1], in, dw.hasBias(), Dl4jGraphs.activation(layer));
        }
        return null;
    }

    public String type() { return TYPE.name(); }

    public boolean depthwise() {
        return groups > 1 && groups == inChannels && groups == outChannels;
    }

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
        TensorShape in = LayerOp.single("conv2d", inputs);
        require(in.rank() == 3, "conv2d needs an image input [C,H,W], got " + in);
        require(in.dim(0) == inChannels, "conv2d expects " + inChannels + " input channels, its input has " + in.dim(0));
        int h = (in.dim(1) + 2 * padH - kernelH) / strideH + 1;
        int w = (in.dim(2) + 2 * padW - kernelW) / strideW + 1;
        require(h > 0 && w > 0, "conv2d kernel " + kernelH + "x" + kernelW + " does not fit input " + in);
        return TensorShape.of(outChannels, h, w);
    }

    public FeatureFlow flow() { return depthwise() ? FeatureFlow.PASSES : FeatureFlow.CREATES; }
    public PrunableUnit unit() { return depthwise() ? PrunableUnit.NONE : PrunableUnit.CHANNELS; }
    public int unitCount() { return depthwise() ? 0 : outChannels; }

    public LayerOp resized(TensorShape in, int units) {
        int c = in.dim(0);
        if (depthwise()) return new Conv2dOp(c, c, kernelH, kernelW, strideH, strideW, padH, padW, c, bias, activation);
        return new Conv2dOp(c, units < 0 ? outChannels : units, kernelH, kernelW, strideH, strideW, padH, padW, groups, bias, activation);
    }

    public CostTerms costTerms(LayerNode node) {
        var b = CostTerms.builder(CostTerms.Kind.MATMUL).scalesY(outChannels);
        double macs = node.macs();
        if (depthwise()) {
            // channels pass through: one group scales input, output and MACs
            b.macsY(macs).paramsY(weights() + (bias ? outChannels : 0)).matrix(outChannels, (double) kernelH * kernelW,
                    node.outShape().elementsPerFeature());
        } else {
            b.macsXY(macs).paramsXY(weights()).paramsY(bias ? outChannels : 0)
                    .matrix(outChannels, (double) (inChannels / groups) * kernelH * kernelW, node.outShape().elementsPerFeature());
        }
        return b.build();
    }

    public List<String> weightKeys() {
        return List.of("W");
    }

    public int outputAxis(String key) {
        return depthwise() ? 2 : 0; // depthwise W [kh, kw, channels, 1]
    }

    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        var axes = new ArrayList<ParamAxis>();
        switch (m.role()) {
            case PRODUCER -> {
                if (depthwise()) throw notPrunable(m);
                axes.add(new ParamAxis(separable(layer) ? "pW" : "W", 0, 1));
                if (LayerOp.has(layer, "b")) axes.add(new ParamAxis("b", LayerOp.last(layer, "b"), 1));
            }
            case FOLLOWER -> {
                if (!depthwise()) throw notPrunable(m);
                if (separable(layer)) {
                    axes.add(new ParamAxis("W", 1, 1)); // the separable layer's bias belongs to its pointwise half
                } else {
                    axes.add(new ParamAxis("W", 2, 1));
                    if (LayerOp.has(layer, "b")) axes.add(new ParamAxis("b", LayerOp.last(layer, "b"), 1));
                }
            }
            case CONSUMER -> {
                if (depthwise()) throw notPrunable(m);
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
