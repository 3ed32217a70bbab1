package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.data.Scaling;
import dev.squeeze.data.Values;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * How ONNX Runtime (CPU) runs each weight of an exported compressed model, decided here once from the network and
 * the plan's bits (which weights and outputs are quantised, at how many bits), so that the DL4J simulation
 * ({@link CompressedModel#output}, and the weights fine-tuning trains) and {@code export.OnnxWriter} agree by
 * construction. Each weight has one of three {@link Form}s:
 * <ul>
 *   <li>{@link Form#INT8}: 2..8-bit weights of a convolution, plain or depthwise (whose output is quantised), a dense layer or
 *   attention's Q/K/V projections, whose input lies on an activation quantiser's grid, run as ONNX Runtime's integer
 *   kernels (QLinearConv, QGemm, MatMulIntegerToFloat): uint8 codes times int8 codes (2..4-bit weights are stored as
 *   INT4 and widened once, at load), an exact int32 sum, an int32 bias at scale input scale x weight scale,
 *   requantised by float multiplication and round half to even. The simulation therefore rounds such biases to that
 *   grid ({@link #roundBiases}); the rest is float rounding.</li>
 *   <li>{@link Form#NBITS}: 2..4-bit dense and attention weights on a float input, or too large for the int8 kernel to
 *   win ({@link #NBITS_FROM_WEIGHTS}), run as com.microsoft MatMulNBits: 4-bit codes in blocks along the reduction, a
 *   scale per block ({@link #nbitsBlock}), which the weights are quantised with; at accuracy level 4, its int8
 *   kernel, it quantises its own float input ({@link BlockInputQuant}), which the simulation applies too.</li>
 *   <li>{@link Form#FLOAT}: everything else, float arithmetic on weights the runtime holds as floats (float16 and
 *   integer codes are turned into floats once, at load).</li>
 * </ul>
 * The network's input lies on an integer grid when the data's values do ({@link #gridOf}: bytes under one affine
 * scaling); the quantiser of that grid travels in the activation quantisers under the topology's input name, so every
 * reader of them (the simulation, {@code onnx.OnnxWriter}) decides alike. A residual add runs as an integer op
 * ({@link #integerAdd}) when its inputs lie on integer grids and its block's output is quantised. The network is read as its {@link Topology}, so sequential networks and computation graphs are decided
 * alike: "the op after" a layer is the one {@link Topology#chained} gives.
 */
public final class Deployment {
    /**
     * The grid of byte images scaled by 1/255 (Fashion-MNIST's pixels, {@code IdxReader}), on which the row-token
     * encoding's one-hot positions of 1 = 255 / 255 lie too. Quantising the input on its grid loses nothing and lets ONNX
     * Runtime run an integer first layer as an integer kernel: without it the first convolution runs in float, and the
     * max pooling after it on uint8 in NCHW layout, ONNX Runtime's slow path (ONNX Runtime's profiler on a w8a8
     * fashion-cnn, 1 thread: 56 of the 149 us its kernels took were that pooling).
     */
    public static final ActivationQuant PIXELS = new ActivationQuant(8, 1f / 255f, 0);

    /**
     * Values per scale of MatMulNBits weights (and of its input's quantisation), at most. Measured on fashion-cnn's
     * dense1 (3136 x 128, batch 1, 1 thread, accuracy level 4, AVX2): block 16 46 us, 32 35 us, 64 37 us, 128 35 us;
     * uniform w4a8 on 5,000 embedded test images, no fine-tuning: block 32 0.9048, 64 0.9022, 128 0.9104 (one scale
     * per channel: 0.9102). 128 costs a quarter of a bit per weight in scales, 32 a whole bit.
     */
    public static final int NBITS_BLOCK = 128;
    /** The smallest block MatMulNBits takes. */
    private static final int NBITS_MIN_BLOCK = 16;
    /**
     * Weights (K x N) from which a 2..4-bit matrix on a quantised input runs as MatMulNBits rather than as the int8
     * kernel on its codes: MatMulNBits reads half the bytes, which pays once the int8 matrix no longer stays in cache.
     * Measured here (AVX2, batch 1, 1 thread; int8 MatMul on a quantised input / MatMulNBits at accuracy level 4):
     * 3136 x 48 22 / 25 us, 1024 x 1024 48 / 64 us, 4096 x 1024 103 / 151 us, 4096 x 4096 1524 / 697 us.
     */
    public static final long NBITS_FROM_WEIGHTS = 8L << 20;
    /** MatMulNBits accuracy level 4: int8 inputs (the kernel quantises them, {@link BlockInputQuant}); 3x faster than level 1. */
    public static final int INT8_INPUTS = 4;
    /** MatMulNBits accuracy level 1: float inputs (for a weight whose input the simulation cannot reach, inside attention). */
    public static final int FLOAT_INPUTS = 1;

    /** How one weight runs in ONNX Runtime. */
    public enum Form { FLOAT, INT8, NBITS }

    private final Topology topology;
    private final Map<String, Map<String, Integer>> weightBits;
    private final Map<String, Integer> activationBits;
    private final boolean pixels;
    /** The grid the network's input lies on (null: none, the input is float). */
    private final ActivationQuant input;
    /** Nodes whose input lies on an integer grid (an add: every input). */
    private final java.util.Set<String> onGrid;

    private Deployment(Topology topology, Map<String, Map<String, Integer>> weightBits, Map<String, Integer> activationBits,
                       ActivationQuant input) {
        this.topology = topology;
        this.input = input;
        this.weightBits = weightBits;
        this.activationBits = activationBits;
        for (String layer : weightBits.keySet()) {
            if (!topology.has(layer)) throw new IllegalArgumentException("weight quantisation for unknown layer '" + layer + "'; layers: " + topology.names());
        }
        boolean first = false;
        for (Topology.Node reader : topology.readers(topology.input())) {
            for (String key : weightBits.getOrDefault(reader.name(), Map.of()).keySet()) first |= form(reader, key, true) == Form.INT8;
        }
        this.pixels = first && input != null;
        this.onGrid = new java.util.HashSet<>();
        var grid = new HashMap<String, Boolean>(); // whether a node's output lies on an integer grid
        grid.put(topology.input(), pixels);
        for (Topology.Node n : topology.nodes()) {
            boolean in = n.inputs().stream().allMatch(grid::get);
            if (in) onGrid.add(n.name());
            Integer bits = activationBits.get(n.name());
            grid.put(n.name(), bits != null ? bits <= 8 : n.isLayer() && in && keepsGrid(n.layer()));
        }
    }

    /**
     * Before quantising (a plan's structure).
     *
     * @param weightBits     layer -> weight key -> bits of each quantised weight
     * @param activationBits node -> bits of the quantiser after its output
     * @param input          the grid the network's input lies on ({@link #gridOf}), or null
     */
    static Deployment ofBits(Topology topology, Map<String, Map<String, Integer>> weightBits, Map<String, Integer> activationBits,
                             ActivationQuant input) {
        return new Deployment(topology, weightBits, activationBits, input);
    }

    /**
     * The deployment of a network quantised as {@code weights} with quantisers {@code activations}; the quantiser under
     * {@link Topology#input()}, when there is one, is the grid the input lies on.
     */
    public static Deployment of(Topology topology, Map<String, Map<String, WeightQuant>> weights, Map<String, ActivationQuant> activations) {
        var w = new HashMap<String, Map<String, Integer>>();
        weights.forEach((layer, keys) -> {
            var bits = new HashMap<String, Integer>();
            keys.forEach((k, q) -> bits.put(k, q.bits()));
            w.put(layer, bits);
        });
        var a = new HashMap<String, Integer>();
        activations.forEach((layer, q) -> a.put(layer, q.bits()));
        return new Deployment(topology, w, a, activations.get(topology.input()));
    }

    /**
     * The 8-bit grid on which the encoded inputs of {@code images} lie exactly, or null when they lie on none: bytes
     * {@code b} under one scale, mean and std give {@code (b - mean / scale) * (scale / std)}, a grid of step
     * {@code scale / std} whose zero point {@code mean / scale} must be a whole level (the row-token encoding's positions,
     * 0 and 1, must lie on it too). Quantising exact values loses nothing, so the simulation need not apply it; floats
     * (CSV, float NPY) and per-channel means or stds keep the input float, and the first layer then runs in float.
     */
    public static ActivationQuant gridOf(Images images, InputEncoding encoding) {
        if (!(images.values() instanceof Values.Bytes)) return null;
        Scaling s = images.scaling();
        if (s.equals(Scaling.UNIT_BYTES)) return PIXELS;
        if (s.mean().stream().distinct().count() > 1 || s.std().stream().distinct().count() > 1 || s.scale() < 0) return null;
        double step = s.scale() / s.std().get(0), zero = s.mean().get(0) / s.scale();
        if (zero != Math.rint(zero) || zero < 0 || zero > 255) return null;
        var grid = new ActivationQuant(8, (float) step, (int) zero);
        if (encoding == InputEncoding.ROW_TOKENS) {
            double one = zero + 1 / step;
            if (Math.abs(one - Math.rint(one)) > 1e-6 || one > 255) return null;
        }
        return grid;
    }

    public Topology topology() {
        return topology;
    }

    /** The form of weight {@code key} of layer {@code layer}. */
    public Form form(String layer, String key) {
        if (!topology.has(layer)) throw new IllegalArgumentException("no layer '" + layer + "'");
        return form(topology.node(layer), key, onGrid.contains(layer));
    }

    private Form form(Topology.Node n, String key, boolean grid) {
        Integer bits = weightBits.getOrDefault(n.name(), Map.of()).get(key);
        if (bits == null || bits > 8 || !n.isLayer()) return Form.FLOAT;
        Layer layer = n.layer();
        if (isConvolution(layer)) return grid && outputQuantised(n.name()) ? Form.INT8 : Form.FLOAT;
        boolean matmul = layer.getClass() == DenseLayer.class || layer.getClass() == OutputLayer.class || layer instanceof SelfAttentionLayer;
        if (!matmul) return Form.FLOAT;
        boolean integerInput = grid && !key.equals("Wo"); // attention's output projection reads the heads, never a quantised tensor
        if (bits <= 4 && (!integerInput || weights(layer, key) >= NBITS_FROM_WEIGHTS)) return Form.NBITS;
        return integerInput ? Form.INT8 : Form.FLOAT;
    }

    /** Convolutions that run as (QLinear)Conv: plain ones and depthwise ones (a Conv whose group is its channel count). */
    public static boolean isConvolution(Layer layer) {
        return layer.getClass() == ConvolutionLayer.class || layer.getClass() == DepthwiseConvolution2D.class;
    }

    /**
     * Whether a residual add runs as an integer kernel (QLinearAdd): every input lies on an integer grid and the quantiser
     * after its block (it, then the batch norms and activations that follow) is an integer one.
     */
    public boolean integerAdd(String node) {
        Topology.Node n = topology.node(node);
        return n.kind() == Topology.Kind.ADD && onGrid.contains(node) && outputQuantised(node);
    }

    /** The last node of a node's block: it, then the batch norms and activations chained after it. */
    public String blockEnd(String node) {
        String end = node;
        for (var next = topology.chained(end); next.isPresent()
                && (next.get().layer() instanceof BatchNormalization || next.get().layer() instanceof ActivationLayer); next = topology.chained(end)) {
            end = next.get().name();
        }
        return end;
    }

    /** Whether the quantiser after a node's block is an integer one. */
    private boolean outputQuantised(String node) {
        Integer bits = activationBits.get(blockEnd(node));
        return bits != null && bits <= 8;
    }

    /** The K x N values of a matrix weight. */
    private static long weights(Layer layer, String key) {
        if (layer instanceof SelfAttentionLayer a) {
            long inner = a.getNHeads() * a.getHeadSize();
            return key.equals("Wo") ? inner * a.getNOut() : inner * a.getNIn();
        }
        var f = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) layer;
        return f.getNIn() * f.getNOut();
    }

    /** The input's grid when the first layer runs an integer kernel on it, else null (the input stays float). */
    public ActivationQuant inputGrid() {
        return pixels ? input : null;
    }

    /**
     * Per layer, the quantiser whose grid its input lies on (layers on no grid are absent): the input's, then after
     * each quantised output, kept through max pooling, dropout and reshapes.
     */
    public Map<String, ActivationQuant> inputGrids(Map<String, ActivationQuant> activations) {
        var grids = new HashMap<String, ActivationQuant>();
        var out = new HashMap<String, ActivationQuant>(); // the grid of each node's output
        if (inputGrid() != null) out.put(topology.input(), inputGrid());
        for (Topology.Node n : topology.nodes()) {
            ActivationQuant in = n.isLayer() ? out.get(n.input()) : null;
            if (in != null) grids.put(n.name(), in);
            ActivationQuant q = activations.get(n.name());
            ActivationQuant grid = q != null ? (q.isFloat16() ? null : q) : n.isLayer() && keepsGrid(n.layer()) ? in : null;
            if (grid != null) out.put(n.name(), grid);
        }
        return grids;
    }

    /** The MatMulNBits input quantisers the deployed model applies, by the layer whose input they quantise. */
    public Map<String, BlockInputQuant> inputQuantisers(Map<String, Map<String, WeightQuant>> weights) {
        var result = new HashMap<String, BlockInputQuant>();
        weights.forEach((layer, keys) -> keys.forEach((key, q) -> {
            if (form(layer, key) == Form.NBITS && accuracyLevel(key) == INT8_INPUTS) {
                result.put(layer, new BlockInputQuant(q.block())); // the kernel's blocks are the weights'
            }
        }));
        return result;
    }

    /**
     * The block of a MatMulNBits weight whose reduction is {@code k} long: {@link #NBITS_BLOCK}, or for a shorter one
     * the smallest power of two (at least 16) that holds it, so that padding to whole blocks does not undo the 4 bits
     * (fashion-attention's 56-long projections padded to 128 made its w4a8 file as large as its w8a8 one).
     */
    public static int nbitsBlock(int k) {
        int fit = Integer.highestOneBit(Math.max(1, k - 1)) << 1;
        return Math.max(NBITS_MIN_BLOCK, Math.min(NBITS_BLOCK, fit));
    }

    /** MatMulNBits accuracy level of weight {@code key}: int8 inputs, except attention's output projection. */
    public static int accuracyLevel(String key) {
        return key.equals("Wo") ? FLOAT_INPUTS : INT8_INPUTS;
    }

    /** Layers whose output values lie on their input's quantisation grid (so a following integer op can read codes). */
    public static boolean keepsGrid(Layer layer) {
        return layer instanceof DropoutLayer || layer instanceof SubsamplingLayer s && s.getPoolingType() == PoolingType.MAX;
    }

    /**
     * A batch norm folded into the integer-weight convolution before it, per output channel:
     * {@code bn(conv(x, W) + b) = conv(x, W * scale) + (b * scale + shift)}. With per-channel symmetric weights the
     * codes stay the same and only the channel's weight scale is multiplied (a negative factor negates the channel's
     * codes). Folding is what lets ONNX Runtime run the layer as one integer convolution (QLinearConv):
     * DequantizeLinear -> Conv -> QuantizeLinear with nothing between; with the batch norm left in, it dequantises the
     * weights and runs float.
     */
    public record Fold(float[] scale, float[] shift) {}

    /**
     * The fold of the batch norm chained after convolution {@code conv} into it, when the convolution has integer weights
     * {@code w} and no activation of its own; null otherwise.
     */
    public static Fold fold(Model net, Topology topology, String conv, WeightQuant w) {
        Topology.Node n = topology.node(conv);
        if (!n.isLayer() || !isConvolution(n.layer()) || w == null || w.bits() == 16) return null;
        var c = (ConvolutionLayer) n.layer();
        if (!(c.getActivationFn() == null || c.getActivationFn() instanceof ActivationIdentity)) return null;
        var next = topology.chained(conv);
        if (next.isEmpty() || !(next.get().layer() instanceof BatchNormalization bn)) return null;
        if (bn.getCnn2DFormat() != CNN2DFormat.NCHW) return null;
        var stats = BatchNormStats.of(bn, Networks.layersByName(net).get(next.get().name()).paramTable());
        int channels = stats.mean().length;
        float[] scale = new float[channels], shift = new float[channels];
        for (int k = 0; k < channels; k++) {
            double a = stats.factor(k, bn.getEps());
            if (a == 0 || !Double.isFinite(a)) return null; // a zero factor would need a zero weight scale: keep the batch norm
            scale[k] = (float) a;
            shift[k] = (float) (stats.beta()[k] - stats.mean()[k] * a);
        }
        return new Fold(scale, shift);
    }

    /** The batch norm {@link #fold} folds into {@code conv}. */
    public static String foldedInto(Topology topology, String conv) {
        return topology.chained(conv).orElseThrow().name();
    }

    /** Per channel, the weight scale an integer kernel runs with: the quantised scale times |fold factor| (float). */
    public static float[] foldedScales(float[] scales, Fold fold) {
        if (fold == null) return scales.clone();
        float[] out = scales.clone();
        for (int k = 0; k < out.length; k++) out[k] *= Math.abs(fold.scale()[k]);
        return out;
    }

    /**
     * The int32 code of a bias value at {@code inputScale x weightScale}, as export stores it; null when it does not fit
     * (export then keeps the float bias).
     */
    public static Integer biasCode(float bias, float inputScale, float weightScale) {
        double c = Math.rint(bias / (double) (inputScale * weightScale));
        return Math.abs(c) > Integer.MAX_VALUE ? null : (int) c;
    }

    /**
     * Rounds, in place, the bias of every {@link Form#INT8} convolution and dense layer to the int32 grid ONNX Runtime
     * adds it on ({@link #biasCode}): for a convolution with a folded batch norm, the folded bias (the batch norm's beta
     * moves by the rounding), otherwise the layer's own. The rounding is up to half an accumulator step, which moves
     * about one output code in two hundred by one step: enough to be seen in predictions.
     */
    void roundBiases(Model net, Map<String, Map<String, WeightQuant>> weights, Map<String, ActivationQuant> activations) {
        var grids = inputGrids(activations);
        var layers = Networks.layersByName(net);
        for (Topology.Node n : topology.nodes()) {
            if (!n.isLayer()) continue;
            Layer layer = n.layer();
            WeightQuant w = weights.getOrDefault(n.name(), Map.of()).get("W");
            ActivationQuant grid = grids.get(n.name());
            if (w == null || form(n.name(), "W") != Form.INT8 || layer instanceof SelfAttentionLayer) continue;
            var params = layers.get(n.name()).paramTable();
            Fold fold = fold(net, topology, n.name(), w);
            float[] scales = foldedScales(w.scales(), fold);
            float[] own = params.containsKey("b") ? Tensors.flat(params.get("b")) : null;
            if (fold == null) {
                if (own != null) params.get("b").assign(Nd4j.create(rounded(own, grid, scales), params.get("b").shape(), 'c'));
                continue;
            }
            float[] folded = new float[scales.length];
            for (int k = 0; k < folded.length; k++) folded[k] = (own == null ? 0 : own[k] * fold.scale()[k]) + fold.shift()[k];
            float[] target = rounded(folded, grid, scales);
            var bnParams = layers.get(foldedInto(topology, n.name())).paramTable();
            if (bnParams.containsKey("beta")) {
                float[] beta = Tensors.flat(bnParams.get("beta"));
                for (int k = 0; k < beta.length; k++) beta[k] += target[k] - folded[k];
                bnParams.get("beta").assign(Nd4j.create(beta, bnParams.get("beta").shape(), 'c'));
            } else if (own != null) { // locked gamma/beta: the convolution's bias carries the rounding
                for (int k = 0; k < own.length; k++) own[k] += (target[k] - folded[k]) / fold.scale()[k];
                params.get("b").assign(Nd4j.create(own, params.get("b").shape(), 'c'));
            }
        }
    }

    /**
     * The requantisers of the integer kernels ONNX Runtime fuses with their output quantiser, by the layer the quantiser
     * sits after: an {@link Form#INT8} convolution (its batch norm folded, or none) or dense layer, then at most a ReLU
     * with zero point 0 (which the uint8 saturation is), then the quantiser; anything else between them keeps ONNX
     * Runtime from fusing, and the float path is what {@link ActivationQuant} computes.
     */
    public Map<String, IntegerRequant> requantisers(Model net, Map<String, Map<String, WeightQuant>> weights,
                                                    Map<String, ActivationQuant> activations) {
        var grids = inputGrids(activations);
        var result = new HashMap<String, IntegerRequant>();
        for (Topology.Node n : topology.nodes()) {
            if (!n.isLayer()) continue;
            Layer layer = n.layer();
            WeightQuant w = weights.getOrDefault(n.name(), Map.of()).get("W");
            if (w == null || form(n.name(), "W") != Form.INT8 || layer instanceof SelfAttentionLayer) continue;
            Fold fold = fold(net, topology, n.name(), w);
            String end = fold != null ? foldedInto(topology, n.name()) : n.name();
            var next = topology.chained(end);
            if (fold == null && next.isPresent() && next.get().layer() instanceof BatchNormalization) continue; // unfused
            boolean relu = isRelu(layer);
            if (next.isPresent() && next.get().layer() instanceof ActivationLayer a) {
                if (!isRelu(a) || relu) continue;
                relu = true;
                end = next.get().name();
            } else if (!relu && !isIdentity(layer)) {
                continue;
            }
            ActivationQuant q = activations.get(end);
            if (q == null || q.isFloat16() || relu && q.zeroPoint() != 0) continue;
            float in = grids.get(n.name()).scale();
            float[] scales = foldedScales(w.scales(), fold), step = new float[scales.length], multiplier = new float[scales.length];
            for (int k = 0; k < scales.length; k++) {
                step[k] = in * scales[k];
                multiplier[k] = in * scales[k] / q.scale();
            }
            result.put(end, new IntegerRequant(q, step, multiplier));
        }
        return result;
    }

    private static boolean isRelu(Layer layer) {
        var fn = layer instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b ? b.getActivationFn()
                : layer instanceof ActivationLayer a ? a.getActivationFn() : null;
        return fn instanceof org.nd4j.linalg.activations.impl.ActivationReLU r && (r.getMax() == null && (r.getThreshold() == null || r.getThreshold() == 0)
                && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0));
    }

    private static boolean isIdentity(Layer layer) {
        var fn = layer instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b ? b.getActivationFn() : null;
        return fn == null || fn instanceof ActivationIdentity;
    }

    private static float[] rounded(float[] bias, ActivationQuant grid, float[] weightScales) {
        float[] out = bias.clone();
        for (int k = 0; k < out.length; k++) {
            float step = grid.scale() * weightScales[k];
            Integer code = biasCode(bias[k], grid.scale(), weightScales[k]);
            if (code != null) out[k] = code * step; // what DequantizeLinear computes: code * (input scale * weight scale)
        }
        return out;
    }
}
