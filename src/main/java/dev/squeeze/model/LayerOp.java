package dev.squeeze.model;

import java.util.List;

/**
 * What a layer computes, with the hyper-parameters that fix its parameter count and cost.
 * The same records are built from a DL4J network and from a weights-free architecture spec,
 * so both give identical {@link LayerGraph}s. MACs count multiply-accumulates of one example
 * (biases, normalisation, activations and pooling count zero, as in the usual published figures).
 */
public sealed interface LayerOp {

    /** Every op type name, as specs and space selectors spell them. */
    java.util.List<String> TYPES = java.util.List.of("conv2d", "dense", "pooling", "global_pooling", "flatten", "add",
            "batchnorm", "layernorm", "activation", "embedding", "attention");

    /** The op's name in specs and JSON ({@code conv2d}, {@code dense}, ...). */
    String type();

    /** Learnable parameters (normalisation running statistics are buffers, not parameters). */
    long params();

    /** Multiply-accumulates for one example. */
    default long macs(TensorShape in, TensorShape out) {
        return 0;
    }

    /** Output shape for the given inputs; throws {@link IllegalArgumentException} when they do not fit. */
    TensorShape outputShape(List<TensorShape> inputs);

    /** How the op treats the feature dimension (channels, units) of its input. */
    FeatureFlow flow();

    /** The units structured pruning removes from this op itself (heads are internal to attention). */
    default PrunableUnit unit() {
        return PrunableUnit.NONE;
    }

    /** How many of {@link #unit()} the op has. */
    default int unitCount() {
        return 0;
    }

    /**
     * The same op fitted to a (pruned) input shape and, for a producer, a new unit count
     * ({@code units < 0} keeps its own). Ops without feature-sized hyper-parameters return themselves.
     */
    default LayerOp resized(TensorShape in, int units) {
        return this;
    }

    /** Feature-dimension behaviour, which decides the dependency groups. */
    enum FeatureFlow {
        /** Consumes the input features and makes a new feature space (conv, dense). */
        CREATES,
        /** Makes a new feature space that pruning may not shrink (embedding, attention output). */
        CREATES_FIXED,
        /** Keeps the input's features one-to-one (batchnorm, activation, pooling, flatten, depthwise conv). */
        PASSES,
        /** Ties the feature spaces of all inputs together (elementwise add). */
        MERGES
    }

    static TensorShape single(String op, List<TensorShape> inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(op + " takes exactly one input, got " + inputs.size());
        }
        return inputs.get(0);
    }

    static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** 2-D convolution over {@code [C, H, W]}; {@code groups == in == out} is depthwise. */
    record Conv2d(int inChannels, int outChannels, int kernelH, int kernelW, int strideH, int strideW,
                  int padH, int padW, int groups, boolean bias, String activation) implements LayerOp {
        public Conv2d {
            require(inChannels > 0 && outChannels > 0, "conv2d channels must be positive");
            require(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "conv2d kernel and stride must be positive");
            require(padH >= 0 && padW >= 0, "conv2d padding must be >= 0");
            require(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                    "conv2d groups (" + groups + ") must divide in (" + inChannels + ") and out (" + outChannels + ") channels");
        }

        public String type() { return "conv2d"; }

        public boolean depthwise() {
            return groups > 1 && groups == inChannels && groups == outChannels;
        }

        public long params() {
            return (long) outChannels * (inChannels / groups) * kernelH * kernelW + (bias ? outChannels : 0);
        }

        public long macs(TensorShape in, TensorShape out) {
            return out.elements() * (inChannels / groups) * kernelH * kernelW;
        }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("conv2d", inputs);
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
            if (depthwise()) return new Conv2d(c, c, kernelH, kernelW, strideH, strideW, padH, padW, c, bias, activation);
            return new Conv2d(c, units < 0 ? outChannels : units, kernelH, kernelW, strideH, strideW, padH, padW, groups, bias, activation);
        }
    }

    /** Fully connected layer over the last dimension (applied per token for sequences). */
    record Dense(int in, int out, boolean bias, String activation) implements LayerOp {
        public Dense {
            require(in > 0 && out > 0, "dense in and out must be positive");
        }

        public String type() { return "dense"; }

        public long params() {
            return (long) in * out + (bias ? out : 0);
        }

        public long macs(TensorShape inShape, TensorShape outShape) {
            return outShape.elements() * in;
        }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape s = single("dense", inputs);
            require(s.rank() != 3, "dense needs a vector or sequence input; add a flatten after " + s);
            require(s.last() == in, "dense expects " + in + " inputs, its input has " + s.last());
            var dims = new java.util.ArrayList<>(s.dims());
            dims.set(dims.size() - 1, out);
            return new TensorShape(dims);
        }

        public FeatureFlow flow() { return FeatureFlow.CREATES; }
        public PrunableUnit unit() { return PrunableUnit.UNITS; }
        public int unitCount() { return out; }

        public LayerOp resized(TensorShape inShape, int units) {
            return new Dense(inShape.last(), units < 0 ? out : units, bias, activation);
        }
    }

    /** Max or average pooling over {@code [C, H, W]}. */
    record Pooling(String mode, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) implements LayerOp {
        public Pooling {
            require(mode.equals("max") || mode.equals("avg"), "pooling mode must be max or avg, got " + mode);
            require(kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0, "pooling kernel and stride must be positive");
        }

        public String type() { return "pooling"; }
        public long params() { return 0; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("pooling", inputs);
            require(in.rank() == 3, "pooling needs an image input [C,H,W], got " + in);
            int h = (in.dim(1) + 2 * padH - kernelH) / strideH + 1;
            int w = (in.dim(2) + 2 * padW - kernelW) / strideW + 1;
            require(h > 0 && w > 0, "pooling kernel does not fit input " + in);
            return TensorShape.of(in.dim(0), h, w);
        }

        public FeatureFlow flow() { return FeatureFlow.PASSES; }
    }

    /** Global pooling: {@code [C,H,W] -> [C]} or {@code [L,D] -> [D]}. */
    record GlobalPooling(String mode) implements LayerOp {
        public String type() { return "global_pooling"; }
        public long params() { return 0; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("global_pooling", inputs);
            require(in.rank() >= 2, "global_pooling needs an image or sequence input, got " + in);
            return TensorShape.of(in.features());
        }

        public FeatureFlow flow() { return FeatureFlow.PASSES; }
    }

    /** Flattens {@code [C,H,W]} channel-major into a vector (what DL4J's CnnToFeedForward does). */
    record Flatten() implements LayerOp {
        public String type() { return "flatten"; }
        public long params() { return 0; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("flatten", inputs);
            return TensorShape.of(Math.toIntExact(in.elements()));
        }

        public FeatureFlow flow() { return FeatureFlow.PASSES; }
    }

    /** Elementwise sum of inputs of one shape (residual connections). */
    record Add() implements LayerOp {
        public String type() { return "add"; }
        public long params() { return 0; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            require(inputs.size() >= 2, "add takes at least two inputs, got " + inputs.size());
            for (TensorShape s : inputs) {
                require(s.equals(inputs.get(0)), "add inputs must have one shape, got " + inputs);
            }
            return inputs.get(0);
        }

        public FeatureFlow flow() { return FeatureFlow.MERGES; }
    }

    /** Batch normalisation over the feature axis: gamma and beta are parameters. */
    record BatchNorm(int features) implements LayerOp {
        public String type() { return "batchnorm"; }
        public long params() { return 2L * features; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("batchnorm", inputs);
            require(in.features() == features, "batchnorm has " + features + " features, its input has " + in.features());
            return in;
        }

        public LayerOp resized(TensorShape in, int units) {
            return new BatchNorm(in.features());
        }

        public FeatureFlow flow() { return FeatureFlow.PASSES; }
    }

    /** Layer normalisation over the last dimension: gamma and beta are parameters. */
    record LayerNorm(int features) implements LayerOp {
        public String type() { return "layernorm"; }
        public long params() { return 2L * features; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("layernorm", inputs);
            require(in.last() == features, "layernorm has " + features + " features, its input has " + in.last());
            return in;
        }

        public LayerOp resized(TensorShape in, int units) {
            return new LayerNorm(in.last());
        }

        public FeatureFlow flow() { return FeatureFlow.PASSES; }
    }

    /** A parameter-free nonlinearity (relu, gelu, softmax, ...) or dropout, shape-preserving. */
    record Activation(String function) implements LayerOp {
        public String type() { return "activation"; }
        public long params() { return 0; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            return single("activation", inputs);
        }

        public FeatureFlow flow() { return FeatureFlow.PASSES; }
    }

    /** Table lookup: token ids {@code [L]} to {@code [L, width]}. */
    record Embedding(int vocabulary, int width) implements LayerOp {
        public Embedding {
            require(vocabulary > 0 && width > 0, "embedding vocabulary and width must be positive");
        }

        public String type() { return "embedding"; }
        public long params() { return (long) vocabulary * width; }

        public TensorShape outputShape(List<TensorShape> inputs) {
            TensorShape in = single("embedding", inputs);
            require(in.rank() == 1, "embedding needs token ids [L], got " + in);
            return TensorShape.of(in.dim(0), width);
        }

        public FeatureFlow flow() { return FeatureFlow.CREATES_FIXED; }
    }

    /**
     * Multi-head self-attention over {@code [L, inWidth]}: Q, K, V projections to
     * {@code heads x headSize}, scaled dot-product attention, output projection to {@code outWidth}.
     */
    record Attention(int inWidth, int heads, int headSize, int outWidth, boolean bias) implements LayerOp {
        public Attention {
            require(inWidth > 0 && heads > 0 && headSize > 0 && outWidth > 0, "attention sizes must be positive");
        }

        public String type() { return "attention"; }

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
            TensorShape in = single("attention", inputs);
            require(in.rank() == 2, "attention needs a sequence input [L,D], got " + in);
            require(in.dim(1) == inWidth, "attention expects width " + inWidth + ", its input has " + in.dim(1));
            return TensorShape.of(in.dim(0), outWidth);
        }

        public FeatureFlow flow() { return FeatureFlow.CREATES_FIXED; }
        public PrunableUnit unit() { return PrunableUnit.HEADS; }
        public int unitCount() { return heads; }

        public LayerOp resized(TensorShape in, int units) {
            return new Attention(in.last(), units < 0 ? heads : units, headSize, outWidth, bias);
        }
    }
}
