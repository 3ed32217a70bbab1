package dev.squeeze.model.compress;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
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
 *   <li>{@link Form#INT8}: 2..8-bit weights of a convolution (whose output is quantised), a dense layer or
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
 */
public final class Deployment {
    /**
     * The grid every squeeze input lies on: Fashion-MNIST pixels are bytes / 255 ({@code IdxReader}), and the row-token
     * encoding adds one-hot positions of 1 = 255 / 255. Quantising the input on it loses nothing and lets ONNX Runtime run
     * an integer first layer as an integer kernel: without it the first convolution runs in float, and the max pooling
     * after it on uint8 in NCHW layout, ONNX Runtime's slow path (ONNX Runtime's profiler on a w8a8 fashion-cnn, 1
     * thread: 56 of the 149 us its kernels took were that pooling).
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

    private final MultiLayerConfiguration conf;
    private final Map<String, Integer> index;
    private final Map<String, Map<String, Integer>> weightBits;
    private final Map<String, Integer> activationBits;
    private final boolean pixels;
    private final java.util.Set<String> onGrid;

    private Deployment(MultiLayerConfiguration conf, Map<String, Map<String, Integer>> weightBits, Map<String, Integer> activationBits) {
        this.conf = conf;
        this.weightBits = weightBits;
        this.activationBits = activationBits;
        this.index = new HashMap<>();
        for (int i = 0; i < conf.getConfs().size(); i++) index.put(conf.getConf(i).getLayer().getLayerName(), i);
        boolean first = false;
        for (String key : weightBits.getOrDefault(name(0), Map.of()).keySet()) first |= form(0, key, true) == Form.INT8;
        this.pixels = first;
        this.onGrid = new java.util.HashSet<>();
        boolean grid = pixels;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            if (grid) onGrid.add(name(i));
            if (!keepsGrid(layer)) grid = false;
            Integer bits = activationBits.get(name(i));
            if (bits != null) grid = bits <= 8;
        }
    }

    /**
     * Before quantising (a plan's structure).
     *
     * @param weightBits     layer -> weight key -> bits of each quantised weight
     * @param activationBits layer -> bits of the quantiser after its output
     */
    static Deployment ofBits(MultiLayerConfiguration conf, Map<String, Map<String, Integer>> weightBits, Map<String, Integer> activationBits) {
        return new Deployment(conf, weightBits, activationBits);
    }

    /** The deployment of a network quantised as {@code weights} with quantisers {@code activations}. */
    public static Deployment of(MultiLayerConfiguration conf, Map<String, Map<String, WeightQuant>> weights, Map<String, ActivationQuant> activations) {
        var w = new HashMap<String, Map<String, Integer>>();
        weights.forEach((layer, keys) -> {
            var bits = new HashMap<String, Integer>();
            keys.forEach((k, q) -> bits.put(k, q.bits()));
            w.put(layer, bits);
        });
        var a = new HashMap<String, Integer>();
        activations.forEach((layer, q) -> a.put(layer, q.bits()));
        return new Deployment(conf, w, a);
    }

    private String name(int i) {
        return conf.getConf(i).getLayer().getLayerName();
    }

    /** The form of weight {@code key} of layer {@code layer}. */
    public Form form(String layer, String key) {
        Integer i = index.get(layer);
        if (i == null) throw new IllegalArgumentException("no layer '" + layer + "'");
        return form(i, key, onGrid.contains(layer));
    }

    private Form form(int i, String key, boolean grid) {
        Integer bits = weightBits.getOrDefault(name(i), Map.of()).get(key);
        if (bits == null || bits > 8) return Form.FLOAT;
        Layer layer = conf.getConf(i).getLayer();
        if (layer.getClass() == ConvolutionLayer.class) return grid && outputQuantised(i) ? Form.INT8 : Form.FLOAT;
        boolean matmul = layer.getClass() == DenseLayer.class || layer.getClass() == OutputLayer.class || layer instanceof SelfAttentionLayer;
        if (!matmul) return Form.FLOAT;
        boolean integerInput = grid && !key.equals("Wo"); // attention's output projection reads the heads, never a quantised tensor
        if (bits <= 4 && (!integerInput || weights(layer, key) >= NBITS_FROM_WEIGHTS)) return Form.NBITS;
        return integerInput ? Form.INT8 : Form.FLOAT;
    }

    /** Whether the quantiser after the convolution's block (it, then the batch norms and activations it fuses) is an integer one. */
    private boolean outputQuantised(int i) {
        int end = i;
        while (end + 1 < conf.getConfs().size() && conf.getInputPreProcess(end + 1) == null
                && (conf.getConf(end + 1).getLayer() instanceof BatchNormalization || conf.getConf(end + 1).getLayer() instanceof ActivationLayer)) {
            end++;
        }
        Integer bits = activationBits.get(name(end));
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

    /** {@link #PIXELS} when the first layer runs an integer kernel on its input, else null (the input stays float). */
    public ActivationQuant inputGrid() {
        return pixels ? PIXELS : null;
    }

    /**
     * Per layer, the quantiser whose grid its input lies on (layers on no grid are absent): the input's, then after
     * each quantised output, kept through max pooling, dropout and reshapes.
     */
    public Map<String, ActivationQuant> inputGrids(Map<String, ActivationQuant> activations) {
        var grids = new HashMap<String, ActivationQuant>();
        ActivationQuant grid = inputGrid();
        for (int i = 0; i < conf.getConfs().size(); i++) {
            if (grid != null) grids.put(name(i), grid);
            if (!keepsGrid(conf.getConf(i).getLayer())) grid = null;
            ActivationQuant q = activations.get(name(i));
            if (q != null) grid = q.isFloat16() ? null : q;
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

    /** The fold of layer {@code i + 1} into layer {@code i}, when i is a convolution with integer weights {@code w} and i+1 its batch norm. */
    public static Fold fold(MultiLayerNetwork net, int i, WeightQuant w) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        if (i + 1 >= conf.getConfs().size()) return null;
        if (conf.getConf(i).getLayer().getClass() != ConvolutionLayer.class || w == null || w.bits() == 16) return null;
        ConvolutionLayer c = (ConvolutionLayer) conf.getConf(i).getLayer();
        if (!(c.getActivationFn() == null || c.getActivationFn() instanceof ActivationIdentity)) return null;
        if (!(conf.getConf(i + 1).getLayer() instanceof BatchNormalization bn) || conf.getInputPreProcess(i + 1) != null) return null;
        if (bn.getCnn2DFormat() != CNN2DFormat.NCHW) return null;
        var stats = BatchNormStats.of(bn, net.getLayer(i + 1).paramTable());
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
    void roundBiases(MultiLayerNetwork net, Map<String, Map<String, WeightQuant>> weights, Map<String, ActivationQuant> activations) {
        var grids = inputGrids(activations);
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            WeightQuant w = weights.getOrDefault(layer.getLayerName(), Map.of()).get("W");
            ActivationQuant grid = grids.get(layer.getLayerName());
            if (w == null || form(layer.getLayerName(), "W") != Form.INT8 || layer instanceof SelfAttentionLayer) continue;
            var params = net.getLayer(i).paramTable();
            Fold fold = fold(net, i, w);
            float[] scales = foldedScales(w.scales(), fold);
            float[] own = params.containsKey("b") ? Tensors.flat(params.get("b")) : null;
            if (fold == null) {
                if (own != null) params.get("b").assign(Nd4j.create(rounded(own, grid, scales), params.get("b").shape(), 'c'));
                continue;
            }
            float[] folded = new float[scales.length];
            for (int k = 0; k < folded.length; k++) folded[k] = (own == null ? 0 : own[k] * fold.scale()[k]) + fold.shift()[k];
            float[] target = rounded(folded, grid, scales);
            var bnParams = net.getLayer(i + 1).paramTable();
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
    public Map<String, IntegerRequant> requantisers(MultiLayerNetwork net, Map<String, Map<String, WeightQuant>> weights,
                                                    Map<String, ActivationQuant> activations) {
        var grids = inputGrids(activations);
        var result = new HashMap<String, IntegerRequant>();
        int n = conf.getConfs().size();
        for (int i = 0; i < n; i++) {
            Layer layer = conf.getConf(i).getLayer();
            WeightQuant w = weights.getOrDefault(name(i), Map.of()).get("W");
            if (w == null || form(name(i), "W") != Form.INT8 || layer instanceof SelfAttentionLayer) continue;
            Fold fold = fold(net, i, w);
            int end = fold != null ? i + 1 : i;
            if (fold == null && end + 1 < n && conf.getConf(end + 1).getLayer() instanceof BatchNormalization) continue; // unfused
            boolean relu = isRelu(layer);
            if (end + 1 < n && conf.getInputPreProcess(end + 1) == null && conf.getConf(end + 1).getLayer() instanceof ActivationLayer a) {
                if (!isRelu(a) || relu) continue;
                relu = true;
                end++;
            } else if (!relu && !isIdentity(layer)) {
                continue;
            }
            ActivationQuant q = activations.get(name(end));
            if (q == null || q.isFloat16() || relu && q.zeroPoint() != 0) continue;
            float in = grids.get(name(i)).scale();
            float[] scales = foldedScales(w.scales(), fold), step = new float[scales.length], multiplier = new float[scales.length];
            for (int k = 0; k < scales.length; k++) {
                step[k] = in * scales[k];
                multiplier[k] = in * scales[k] / q.scale();
            }
            result.put(name(end), new IntegerRequant(q, step, multiplier));
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
