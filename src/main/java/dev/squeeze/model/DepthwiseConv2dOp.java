package dev.squeeze.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;

import java.util.List;
import java.util.Set;

import static dev.squeeze.model.LayerOp.require;

/**
 * Depthwise 2-D convolution over {@code [C, H, W]}: one filter per channel, so the channels pass through and follow
 * whatever group its input's belong to. Spelled in specs as a {@code conv2d} whose {@code groups} equal its in and out
 * channels, and its {@link #type()} stays {@code conv2d}, so space selectors and cost tables read it as before. DL4J
 * stores a DepthwiseConvolution2D's W as [kh, kw, channels, 1]; the depthwise half of a SeparableConvolution2D (graph
 * node {@code <name>.depthwise}) as [1, channels, kh, kw]. A depth multiplier above 1 makes new channels: that is a
 * grouped {@link Conv2dOp}.
 */
public record DepthwiseConv2dOp(int channels, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                                boolean bias, String activation) implements LayerOp {

    public static final OpType TYPE = OpType.ofLayer(Conv2dOp.TYPE.name(), Conv2dOp.TYPE.specKeys(), Conv2dOp.TYPE.spec(),
            DepthwiseConv2dOp::read);

    public DepthwiseConv2dOp {
        require(channels > 0, "conv2d channels must be positive");
        require(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "conv2d kernel and stride must be positive");
        require(padH >= 0 && padW >= 0, "conv2d padding must be >= 0");
    }

    private static LayerOp read(org.deeplearning4j.nn.conf.layers.Layer layer, String name) {
        if (!(layer instanceof DepthwiseConvolution2D dw)) return null;
        int[] k = dw.getKernelSize(), s = dw.getStride(), d = dw.getDilation();
        if (d[0] != 1 || d[1] != 1) throw Dl4jGraphs.unsupported(name, "dilated convolution");
        int[] pad = Dl4jGraphs.padding(dw.getConvolutionMode(), k, dw.getPadding());
        int in = (int) dw.getNIn();
        return Conv2dOp.of(in, (int) dw.getNOut(), k[0], k[1], s[0], s[1], pad[0], pad[1], in, dw.hasBias(), Dl4jGraphs.activation(layer));
    }

    public String type() { return TYPE.name(); }

    public long params() {
        return weights() + (bias ? channels : 0);
    }

    private long weights() {
        return (long) channels * kernelH * kernelW;
    }

    public long macs(TensorShape in, TensorShape out) {
        return out.elements() * kernelH * kernelW;
    }

    public TensorShape outputShape(List<TensorShape> inputs) {
        return Conv2dOp.convolved(inputs, channels, channels, kernelH, kernelW, strideH, strideW, padH, padW);
    }

    public FeatureFlow flow() { return FeatureFlow.PASSES; }

    public LayerOp resized(TensorShape in, int units) {
        return new DepthwiseConv2dOp(in.dim(0), kernelH, kernelW, strideH, strideW, padH, padW, bias, activation);
    }

    /** Channels pass through: the one group they belong to scales input, output and MACs alike. */
    public CostTerms costTerms(LayerNode node) {
        return CostTerms.builder(CostTerms.Kind.MATMUL).macsY(node.macs()).paramsY(params()).scalesY(channels)
                .matrix(channels, (double) kernelH * kernelW, node.outShape().elementsPerFeature()).build();
    }

    public List<String> weightKeys() {
        return List.of("W");
    }

    public int outputAxis(String key) {
        return 2; // W [kh, kw, channels, 1]
    }

    public List<ParamAxis> prunedAxes(DependencyGroup.Member m, Layer layer) {
        if (m.role() != DependencyGroup.Role.FOLLOWER) throw notPrunable(m);
        if (layer.conf().getLayer() instanceof SeparableConvolution2D) {
            return List.of(new ParamAxis("W", 1, 1)); // the separable layer's bias belongs to its pointwise half
        }
        return LayerOp.has(layer, "b") ? List.of(new ParamAxis("W", 2, 1), new ParamAxis("b", LayerOp.last(layer, "b"), 1))
                : List.of(new ParamAxis("W", 2, 1));
    }

    public void resize(org.deeplearning4j.nn.conf.layers.Layer conf) {
        if (conf instanceof FeedForwardLayer f) {
            f.setNIn(channels);
            f.setNOut(channels);
        }
    }
}
