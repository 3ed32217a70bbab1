package dev.squeeze.evaluators;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.DependencyGroup.Role;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.LayerOp;
import dev.squeeze.model.ModelHandle;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Rint;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code measured} rung: one network copy whose parameters are reset, masked and fake-quantised for
 * each plan, then run layer by layer on the calibration images with activation fake-quant between
 * layers. Masking zeroes what physical pruning would remove from the readers of a group (consumer input
 * rows; for attention heads, their rows of the output projection), so the outputs equal those of the
 * physically smaller network. Weights: per-output-channel symmetric, round half to even, saturating;
 * 16 bits round to fp16. Activations: per-tensor asymmetric with min/max from the first batch.
 * Not thread-safe: one instance per worker.
 */
final class MeasuredAccuracy implements AccuracyProxy {
    private static final int BATCH = 500;
    private final LayerGraph graph;
    private final MultiLayerNetwork net;
    private final INDArray original;
    private final Map<String, Integer> index = new HashMap<>();
    private final Map<String, int[]> pruneOrder = new HashMap<>();
    private final List<INDArray> batches = new ArrayList<>();
    private final int[] labels;
    private final EvaluatorSpec.Recovery recovery;
    private final Images train;
    private final InputEncoding encoding;
    private INDArray teacher; // the uncompressed model's probabilities on the fine-tuning images

    MeasuredAccuracy(ModelHandle model, Images images, String importance) {
        this(model, images, importance, null, null);
    }

    /**
     * With {@code recovery}, the {@code recovered} rung: before measuring, the masked network is fine-tuned for
     * a few distillation steps on {@code train} with the plan's temperature and alpha, the masks re-applied
     * after every step so pruned units stay pruned; weights are quantised after fine-tuning.
     */
    MeasuredAccuracy(ModelHandle model, Images images, String importance, EvaluatorSpec.Recovery recovery, Images train) {
        this.graph = model.graph();
        this.net = model.multiLayer().clone();
        this.original = net.params().dup();
        var confs = net.getLayerWiseConfigurations().getConfs();
        for (int i = 0; i < confs.size(); i++) index.put(confs.get(i).getLayer().getLayerName(), i);
        for (DependencyGroup g : graph.groups()) pruneOrder.put(g.id(), order(g, importance));
        InputEncoding enc = model.encoding();
        for (int from = 0; from < images.count(); from += BATCH) batches.add(enc.features(images, from, Math.min(images.count(), from + BATCH)));
        this.labels = images.labels();
        this.encoding = enc;
        this.recovery = recovery;
        this.train = recovery == null ? null : train.head(recovery.steps() * recovery.batch());
        if (recovery != null) {
            for (var c : net.getLayerWiseConfigurations().getConfs()) {
                if (c.getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b) b.setIUpdater(new org.nd4j.linalg.learning.config.Adam(3e-4));
            }
            teacher = net.output(enc.features(this.train, 0, this.train.count()), false);
        }
    }

    @Override
    public String fidelity() {
        return recovery == null ? "measured" : "recovered";
    }

    @Override
    public double accuracy(CompressionPlan plan) {
        net.params().assign(original);
        applyMasks(plan);
        if (recovery != null) fineTune(plan);
        for (LayerNode n : graph.nodes()) {
            int bits = plan.forLayer(n.name()).weightBits();
            if (bits < 32 && weightKeys(n.op()).length > 0) quantizeWeights(n, bits);
        }
        int correct = 0, seen = 0;
        double[][] ranges = new double[graph.nodes().size()][];
        for (INDArray features : batches) {
            int[] predicted = forward(features, plan, ranges).argMax(1).toIntVector();
            for (int p : predicted) if (p == labels[seen++]) correct++;
        }
        return (double) correct / seen;
    }

    private void applyMasks(CompressionPlan plan) {
        for (DependencyGroup g : graph.groups()) {
            int kept = plan.keptUnits(graph, g, 1);
            if (kept < g.units()) mask(g, java.util.Arrays.copyOf(pruneOrder.get(g.id()), g.units() - kept));
        }
    }

    /** Distillation from the uncompressed model with the plan's T and alpha; seeded by the plan so results repeat. */
    private void fineTune(CompressionPlan plan) {
        var kd = plan.distillation();
        var outputConf = (org.deeplearning4j.nn.conf.layers.BaseOutputLayer)
                net.getLayerWiseConfigurations().getConf(net.getnLayers() - 1).getLayer();
        var hardLoss = outputConf.getLossFn();
        outputConf.setLossFn(new dev.squeeze.model.compress.DistillationLoss(kd.temperature(), kd.alpha()));
        try {
            net.setIterationCount(0);
            net.setEpochCount(0);
            if (net.getUpdater() != null && net.getUpdater().getStateViewArray() != null) net.getUpdater().getStateViewArray().assign(0);
            Nd4j.getRandom().setSeed(plan.key().hashCode());
            int b = recovery.batch();
            for (int step = 0; step < recovery.steps(); step++) {
                int from = step * b, to = Math.min(train.count(), from + b);
                if (from >= to) break;
                INDArray y = InputEncoding.oneHot(train, from, to);
                INDArray t = teacher.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
                net.fit(new org.nd4j.linalg.dataset.DataSet(encoding.features(train, from, to),
                        dev.squeeze.model.compress.DistillationLoss.pack(y, t, kd.temperature())));
                applyMasks(plan);
            }
        } finally {
            outputConf.setLossFn(hardLoss);
        }
    }

    /** Layer by layer, fake-quantising the outputs of weighted layers whose plan asks for fewer than 32 bits. */
    private INDArray forward(INDArray x, CompressionPlan plan, double[][] ranges) {
        var mgr = LayerWorkspaceMgr.noWorkspaces();
        var conf = net.getLayerWiseConfigurations();
        Layer[] layers = net.getLayers();
        for (int i = 0; i < layers.length; i++) {
            InputPreProcessor pp = conf.getInputPreProcess(i);
            if (pp != null) x = pp.preProcess(x, (int) x.size(0), mgr);
            x = layers[i].activate(x, false, mgr);
            String name = conf.getConf(i).getLayer().getLayerName();
            int bits = plan.forLayer(name).actBits();
            boolean last = i == layers.length - 1; // the network's output stays float, as a deployed model returns it
            if (bits < 32 && !last && weightKeys(graph.node(name).op()).length > 0) x = quantizeActivations(x, bits, ranges, i);
        }
        return x;
    }

    static INDArray quantizeActivations(INDArray x, int bits, double[][] ranges, int layer) {
        if (bits == 16) return x.castTo(DataType.HALF).castTo(x.dataType());
        if (ranges[layer] == null) ranges[layer] = new double[]{Math.min(0, x.minNumber().doubleValue()), Math.max(0, x.maxNumber().doubleValue())};
        double lo = ranges[layer][0], hi = ranges[layer][1];
        double levels = (1L << bits) - 1;
        double scale = Math.max(hi - lo, 1e-12) / levels;
        double zero = Math.min(levels, Math.max(0, Math.rint(-lo / scale)));
        INDArray q = x.div(scale);
        Nd4j.exec(new Rint(q, q));
        q.addi(zero);
        q = Transforms.min(Transforms.max(q, 0, false), levels, false);
        return q.subi(zero).muli(scale);
    }

    /** Per-output-channel symmetric fake-quant of a layer's weight matrices (rows = output channels). */
    private void quantizeWeights(LayerNode n, int bits) {
        Layer layer = net.getLayer(index.get(n.name()));
        for (String key : weightKeys(n.op())) {
            INDArray w = layer.getParam(key).dup('c');
            INDArray rows = rowsByOutput(n.op(), key, w);
            INDArray q = bits == 16 ? rows.castTo(DataType.HALF).castTo(rows.dataType()) : quantizeRows(rows, bits);
            layer.getParam(key).assign(fromRows(n.op(), key, q, w.shape()));
        }
    }

    /** Symmetric per-row quantisation: scale = max|row| / (2^(b-1) - 1), all-zero rows stay zero. */
    static INDArray quantizeRows(INDArray rows, int bits) {
        double qmax = (1L << (bits - 1)) - 1;
        INDArray scale = Transforms.abs(rows, true).max(1).divi(qmax);
        scale = Transforms.max(scale, 1e-30, false);
        INDArray q = rows.divColumnVector(scale);
        Nd4j.exec(new Rint(q, q));
        q = Transforms.min(Transforms.max(q, -qmax, false), qmax, false);
        return q.muliColumnVector(scale);
    }

    private static String[] weightKeys(LayerOp op) {
        if (op instanceof LayerOp.Conv2d || op instanceof LayerOp.Dense) return new String[]{"W"};
        if (op instanceof LayerOp.Attention) return new String[]{"Wq", "Wk", "Wv", "Wo"};
        return new String[0];
    }

    /** The weight as [output channels, fan-in]: conv [out, in*kh*kw], dense W^T, attention Wq/Wk/Wv [heads*size, in], Wo^T. */
    private static INDArray rowsByOutput(LayerOp op, String key, INDArray w) {
        if (op instanceof LayerOp.Conv2d) return w.reshape('c', w.size(0), w.length() / w.size(0));
        if (key.equals("Wq") || key.equals("Wk") || key.equals("Wv")) return w.reshape('c', w.size(0) * w.size(1), w.size(2));
        return w.transpose().dup('c');
    }

    private static INDArray fromRows(LayerOp op, String key, INDArray rows, long[] shape) {
        if (op instanceof LayerOp.Conv2d || key.equals("Wq") || key.equals("Wk") || key.equals("Wv")) return rows.reshape('c', shape);
        return rows.transpose().dup('c');
    }

    /** Zeroes what the group's readers take from the removed units. */
    private void mask(DependencyGroup g, int[] removed) {
        for (DependencyGroup.Member m : g.members()) {
            if (m.role() == Role.FOLLOWER) continue; // followers (BN, pooling, flatten) change nothing once readers ignore the units
            LayerNode n = graph.node(m.layer());
            Layer layer = net.getLayer(index.get(n.name()));
            if (g.unit() == dev.squeeze.model.PrunableUnit.HEADS && m.role() == Role.PRODUCER) {
                var a = (LayerOp.Attention) n.op();
                INDArray wo = layer.getParam("Wo").dup('c');
                for (int h : removed) wo.get(NDArrayIndex.interval((long) h * a.headSize(), (long) (h + 1) * a.headSize()), NDArrayIndex.all()).assign(0);
                layer.getParam("Wo").assign(wo);
            } else if (m.role() == Role.CONSUMER) {
                INDArray w = layer.getParam(n.op() instanceof LayerOp.Attention ? "Wq" : "W").dup('c');
                if (n.op() instanceof LayerOp.Conv2d) {
                    for (int u : removed) w.get(NDArrayIndex.all(), NDArrayIndex.point(u), NDArrayIndex.all(), NDArrayIndex.all()).assign(0);
                    layer.getParam("W").assign(w);
                } else if (n.op() instanceof LayerOp.Dense) {
                    for (int u : removed) w.get(NDArrayIndex.interval(u * m.rowsPerUnit(), (u + 1) * m.rowsPerUnit()), NDArrayIndex.all()).assign(0);
                    layer.getParam("W").assign(w);
                } else if (n.op() instanceof LayerOp.Attention) {
                    for (String k : new String[]{"Wq", "Wk", "Wv"}) {
                        INDArray p = layer.getParam(k).dup('c');
                        for (int u : removed) p.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(u)).assign(0);
                        layer.getParam(k).assign(p);
                    }
                }
            }
        }
    }

    /** Unit indices, least important first, by the L1 or L2 norm of the producers' weights for each unit. */
    private int[] order(DependencyGroup g, String importance) {
        double[] score = new double[g.units()];
        for (String producer : g.producers()) {
            LayerNode n = graph.node(producer);
            Layer layer = net.getLayer(index.get(producer));
            for (String key : weightKeys(n.op())) {
                if (key.equals("Wo")) continue;
                INDArray rows = rowsByOutput(n.op(), key, layer.getParam(key).dup('c'));
                if (n.op() instanceof LayerOp.Attention a) rows = rows.reshape('c', a.heads(), rows.length() / a.heads());
                INDArray norms = importance.equals("l2") ? rows.norm2(1) : rows.norm1(1);
                float[] v = norms.toFloatVector();
                for (int u = 0; u < score.length; u++) score[u] += v[u];
            }
        }
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> a.equals(b) ? 0 : Double.compare(score[a], score[b]) != 0 ? Double.compare(score[a], score[b]) : Integer.compare(a, b));
        return java.util.Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
