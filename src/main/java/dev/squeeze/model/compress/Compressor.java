package dev.squeeze.model.compress;

import dev.squeeze.Progress;
import dev.squeeze.data.Images;
import dev.squeeze.model.Backend;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.AddOp;
import dev.squeeze.model.ModelHandle;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a plan in the order a deployment needs: prune physically, (fine-tune, see {@link FineTuner}),
 * quantise weights, calibrate activation quantisers. Never modifies its input network, which may be either kind of
 * DL4J network (every step walks its {@link Topology}).
 */
public final class Compressor {
    /**
     * @param importance        how units are ranked for pruning
     * @param align             kept counts rounded up to this multiple (1 = exact ratio)
     * @param calibration       how activation ranges are chosen
     * @param calibrationImages images used to rank units (data-driven criteria) and calibrate ranges
     * @param recalibrateBatchNorm after pruning, re-estimate batch norm statistics on the calibration images
     *                          ({@link BatchNormRecalibration})
     */
    public record Options(Importance importance, int align, ActivationCalibration calibration, int calibrationImages,
                          boolean recalibrateBatchNorm) {
        public static final Options DEFAULT = new Options(Importance.L1, 1, ActivationCalibration.MINMAX, 500);

        /** Options that leave batch norm statistics as trained. */
        public Options(Importance importance, int align, ActivationCalibration calibration, int calibrationImages) {
            this(importance, align, calibration, calibrationImages, false);
        }
    }

    /** A physically pruned float network (of the original's kind), ready to fine-tune or quantise. */
    public record Pruned(Model network, LayerGraph graph, UnitSelection selection) {}

    /**
     * Fixes the activation quantisers at {@code points} (layer -> bits) from the weight-quantised float network's
     * activations on the calibration features. {@link #DL4J} runs the network here; the search's measured rung runs
     * the same network in ONNX Runtime, which is several times faster.
     */
    @FunctionalInterface
    public interface Calibrator {
        Map<String, ActivationQuant> calibrate(Model weightQuantised, Map<String, Integer> points, ActivationCalibration method,
                                               INDArray features);
    }

    /** Calibration by a DL4J forward pass. */
    public static final Calibrator DL4J = Compressor::calibrate;

    private final ModelHandle model;
    private final Options options;
    private final Images calibration;
    private final INDArray calibrationFeatures; // encoded once: every plan calibrates on the same images
    private final ActivationQuant inputGrid; // the grid the data's inputs lie on, or null (Deployment.gridOf)
    private final Map<String, int[]> order;

    /** Ranks units once; every plan applied through this compressor reuses the ranking. */
    public Compressor(ModelHandle model, Options options, Images calibration) {
        this.model = model;
        this.options = options;
        this.calibration = calibration.head(Math.min(options.calibrationImages(), calibration.count()));
        this.calibrationFeatures = model.encoding().features(this.calibration, 0, this.calibration.count());
        this.inputGrid = Deployment.gridOf(this.calibration, model.encoding());
        this.order = options.importance().order(model.network(), model.graph(), this.calibration, model.encoding());
    }

    public ModelHandle model() {
        return model;
    }

    /** Prune, then quantise: the compressed model without fine-tuning. */
    public CompressedModel apply(CompressionPlan plan) {
        return apply(plan, DL4J);
    }

    public CompressedModel apply(CompressionPlan plan, Calibrator calibrator) {
        Pruned pruned = prune(plan);
        return quantizeInPlace(pruned.network(), pruned, plan, calibrator); // the pruned network is this call's own: no copy
    }

    public UnitSelection selection(CompressionPlan plan) {
        return UnitSelection.of(model.graph(), plan, order, options.align());
    }

    public Pruned prune(CompressionPlan plan) {
        UnitSelection s = selection(plan);
        LayerGraph pruned = model.graph().pruned(s.counts());
        return new Pruned(physical(model.network(), model.graph(), pruned, s), pruned, s);
    }

    /**
     * Prunes to the plan in {@code steps} equal steps, re-ranking units on the current network and fine-tuning
     * with distillation from the original for {@code settings.epochs() / steps} after each (a progressive
     * schedule; 1 step = prune once, then fine-tune). The result's selection numbers units as the original does.
     */
    public Pruned pruneAndFineTune(CompressionPlan plan, int steps, Images train, FineTuner.Settings settings, Progress progress) {
        if (steps < 1) throw new IllegalArgumentException("progressive steps must be >= 1, got " + steps);
        LayerGraph original = model.graph();
        Model net = model.network();
        LayerGraph graph = original;
        UnitSelection total = UnitSelection.NONE;
        // the teacher's outputs on the train split, computed on first use and read by every step of every fine-tune here
        var teacher = settings == null ? null
                : new FineTuner.Teacher(model.network(), original, new TeacherOutputs(model.network(), train, model.encoding()));
        for (int step = 1; step <= steps; step++) {
            var counts = new HashMap<String, Integer>();
            for (var g : original.groups()) {
                int finalKept = plan.keptUnits(original, g, options.align());
                counts.put(g.id(), (int) Math.round(g.units() - (g.units() - finalKept) * step / (double) steps));
            }
            Map<String, int[]> rank = step == 1 ? order : options.importance().order(net, graph, calibration, model.encoding());
            UnitSelection s = UnitSelection.ofCounts(graph, counts, rank);
            Model before = net;
            LayerGraph after = graph.pruned(s.counts());
            net = physical(net, graph, after, s);
            if (before != model.network()) Backend.release(before); // this method's own intermediate network
            graph = after;
            total = total.then(s);
            if (steps > 1) progress.log(String.format("progressive step %d/%d: %,d params", step, steps, graph.params()));
            if (settings != null) {
                Model untuned = net;
                net = FineTuner.fineTune(net, graph, total, teacher, plan, train, model.encoding(),
                        settings.withEpochs(settings.epochs() / steps), progress).network();
                Backend.release(untuned);
            }
        }
        return new Pruned(net, graph, total);
    }

    /**
     * Prunes {@code net} (described by {@code graph}) physically to {@code after}, then, when the options say so and
     * anything was pruned, re-estimates its batch norm statistics.
     */
    private Model physical(Model net, LayerGraph graph, LayerGraph after, UnitSelection s) {
        Model pruned = Pruning.physical(net, graph, s);
        if (options.recalibrateBatchNorm() && after.params() < graph.params()) BatchNormRecalibration.apply(pruned, calibration, model.encoding());
        return pruned;
    }

    /** Quantises a (possibly fine-tuned) pruned network's weights and calibrates its activations; the input stays float. */
    public CompressedModel quantize(Pruned pruned, CompressionPlan plan) {
        return quantize(pruned, plan, DL4J);
    }

    public CompressedModel quantize(Pruned pruned, CompressionPlan plan, Calibrator calibrator) {
        return quantizeInPlace(Networks.copyOf(pruned.network()), pruned, plan, calibrator);
    }

    private CompressedModel quantizeInPlace(Model net, Pruned pruned, CompressionPlan plan, Calibrator calibrator) {
        var weights = quantizeWeights(net, pruned.graph(), plan, inputGrid);
        var points = quantisationPoints(pruned.graph(), plan);
        var activations = new HashMap<String, ActivationQuant>();
        if (!points.isEmpty()) activations.putAll(calibrator.calibrate(net, points, options.calibration(), calibrationFeatures));
        if (inputGrid != null) activations.put(Topology.of(net).input(), inputGrid);
        Deployment deployment = Deployment.of(Topology.of(net), weights, activations);
        deployment.roundBiases(net, weights, activations);
        var kernels = new CompressedModel.Kernels(deployment.inputQuantisers(weights), deployment.requantisers(net, weights, activations));
        return new CompressedModel(net, pruned.graph(), plan, pruned.selection(), weights, activations, kernels);
    }

    /**
     * Replaces, in place, each weight of layers with weight_bits < 32 by its fake-quantised value: per output channel,
     * or per block along the reduction ({@link Deployment#nbitsBlock}) where the weight runs as MatMulNBits.
     *
     * @param inputGrid the grid the network's input lies on ({@link Deployment#gridOf}), or null
     */
    static Map<String, Map<String, WeightQuant>> quantizeWeights(Model net, LayerGraph graph, CompressionPlan plan, ActivationQuant inputGrid) {
        var layers = Networks.layersByName(net);
        var weightBits = new HashMap<String, Map<String, Integer>>();
        for (LayerNode n : graph.nodes()) {
            int bits = plan.forLayer(n.name()).weightBits();
            if (bits == 32 || n.op().weightKeys().isEmpty()) continue;
            checkQuantisable(n, layers.get(Networks.layerOf(n.name(), layers)));
            var keys = new HashMap<String, Integer>();
            for (String key : n.op().weightKeys()) keys.put(key, bits);
            weightBits.put(n.name(), keys);
        }
        Deployment deployment = Deployment.ofBits(Topology.of(net), weightBits, quantisationPoints(graph, plan), inputGrid);
        var result = new HashMap<String, Map<String, WeightQuant>>();
        for (LayerNode n : graph.nodes()) {
            if (!weightBits.containsKey(n.name())) continue;
            int bits = plan.forLayer(n.name()).weightBits();
            Layer layer = layers.get(n.name());
            var perKey = new LinkedHashMap<String, WeightQuant>();
            for (String key : n.op().weightKeys()) {
                INDArray w = layer.getParam(key);
                if (bits == 16) {
                    INDArray half = Quantization.fp16(w);
                    w.assign(half);
                    dev.squeeze.model.Backend.release(half);
                    perKey.put(key, WeightQuant.fp16());
                    continue;
                }
                int axis = n.op().outputAxis(key);
                // Wq/Wk/Wv [heads, headSize, in]: each (head, position) pair is an output channel.
                INDArray shaped = axis < 0 ? w.reshape('c', w.size(0) * w.size(1), w.size(2)) : w;
                int a = Math.max(axis, 0);
                float[] rows = Quantization.rows(shaped, a);
                int nRows = (int) shaped.size(a);
                // a row is one output channel's weights in reduction order (dense [in, out] read by columns), as MatMulNBits blocks them
                int length = rows.length / nRows;
                int block = deployment.form(n.name(), key) == Deployment.Form.NBITS ? Deployment.nbitsBlock(length) : length;
                float[] scales = Quantization.symmetricScales(rows, nRows, bits, block);
                float[] q = Quantization.dequantize(Quantization.codes(rows, nRows, scales, bits, block), nRows, scales, block);
                INDArray quantised = Quantization.fromRows(q, shaped.shape(), a);
                w.assign(quantised.reshape('c', w.shape()));
                dev.squeeze.model.Backend.release(quantised);
                perKey.put(key, new WeightQuant(bits, axis, scales, block));
            }
            result.put(n.name(), perKey);
        }
        return result;
    }

    /**
     * Weight quantisation knows a weight's layout from its op ({@code LayerOp.outputAxis}): a separable convolution (two weights in
     * one DL4J layer) and a depthwise one with a depth multiplier are refused rather than quantised along the wrong axis.
     */
    private static void checkQuantisable(LayerNode n, Layer layer) {
        var conf = layer == null ? null : layer.conf().getLayer();
        if (conf instanceof SeparableConvolution2D) {
            throw new dev.squeeze.SqueezeException("layer '" + n.name() + "' is a SeparableConvolution2D, whose weights squeeze cannot quantise yet: "
                    + "give it weight_bits 32, or build it as a DepthwiseConvolution2D and a 1x1 ConvolutionLayer");
        }
        if (conf instanceof DepthwiseConvolution2D dw && dw.getDepthMultiplier() != 1) {
            throw new dev.squeeze.SqueezeException("layer '" + n.name() + "' is a depthwise convolution with depth multiplier " + dw.getDepthMultiplier()
                    + ", whose weights squeeze cannot quantise yet: give it weight_bits 32 (multiplier 1 is supported)");
        }
    }

    /**
     * Where each weighted layer's activation quantiser sits: after the layer and the batch norm and activation
     * that a deployment fuses into it (conv-BN-ReLU is one int8 op), so the quantised tensor is the one that
     * travels between ops. A residual add whose inputs are all quantised gets one too, after its block (the add and its
     * ReLU), at the largest of its inputs' bits unless the plan names the add itself: the add then runs as one integer
     * op, and the convolutions reading it read codes. The network's output stays float, as a deployed model returns it.
     */
    static Map<String, Integer> quantisationPoints(LayerGraph graph, CompressionPlan plan) {
        var points = new LinkedHashMap<String, Integer>();
        List<LayerNode> outputs = graph.outputs();
        for (LayerNode n : graph.nodes()) {
            if (outputs.contains(n)) continue;
            int bits;
            if (n.op() instanceof AddOp) {
                if (!n.inputs().stream().allMatch(points::containsKey)) continue;
                bits = plan.layers().containsKey(n.name()) ? plan.forLayer(n.name()).actBits()
                        : n.inputs().stream().mapToInt(points::get).max().orElseThrow();
            } else if (!n.op().weightKeys().isEmpty()) {
                bits = plan.forLayer(n.name()).actBits();
            } else {
                continue;
            }
            if (bits == 32) continue;
            points.put(graph.blockEnd(n.name()), bits);
        }
        return points;
    }

    /**
     * One forward pass of the calibration images through the weight-quantised float network; every quantiser is
     * fixed from the float activations it observes, as post-training quantisation tools do (PyTorch's observers,
     * ONNX Runtime's static quantisation), so that one pass, in any runtime, calibrates them all.
     */
    static Map<String, ActivationQuant> calibrate(Model net, Map<String, Integer> points, ActivationCalibration method, INDArray x) {
        var result = new HashMap<String, ActivationQuant>();
        if (points.isEmpty()) return result;
        Inference.run(net, Topology.of(net), Map.of(), x, (layer, a) -> {
            Integer bits = points.get(layer);
            if (bits != null) result.put(layer, method.calibrate(a, bits));
            return a;
        });
        return result;
    }
}
