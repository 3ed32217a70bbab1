package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.ActivationOp;
import dev.squeeze.model.AttentionOp;
import dev.squeeze.model.BatchNormOp;
import dev.squeeze.model.ConcatOp;
import dev.squeeze.model.ParamAxis;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ranks each dependency group's units, least important first, by a named criterion. Data-driven criteria
 * read up to {@link #SAMPLES} calibration images. The network is never modified (gradients come from a copy).
 */
public enum Importance {
    /** Sum of |w| over the producers' weights for the unit. */
    L1,
    /** Euclidean norm of the producers' weights for the unit. */
    L2,
    /** Distance to the other units' filters (He et al. 2019): units near the geometric median are redundant. */
    FPGM,
    /** Mean |activation| of the unit on calibration data (for heads: of the head's contribution through Wo). */
    ACTIVATION,
    /** Sum of |w x dLoss/dw| over the unit's producer weights on calibration data (first-order Taylor). */
    TAYLOR;

    public static final int SAMPLES = 500;

    public static Importance parse(String name, String where) {
        for (Importance i : values()) if (i.label().equals(name)) return i;
        throw new dev.squeeze.SqueezeException(where + ": unknown importance '" + name + "': use one of "
                + String.join(", ", Arrays.stream(values()).map(Importance::label).toList()));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean needsData() {
        return this == ACTIVATION || this == TAYLOR;
    }

    /** Group id -> unit indices, least important first (ties by index, so the order repeats). */
    public Map<String, int[]> order(Model net, LayerGraph graph, Images calibration, InputEncoding encoding) {
        if (needsData() && (calibration == null || calibration.count() == 0)) {
            throw new IllegalArgumentException("importance '" + label() + "' needs calibration images");
        }
        INDArray x = needsData() ? encoding.features(calibration, 0, Math.min(SAMPLES, calibration.count())) : null;
        Map<String, INDArray> gradients = this == TAYLOR ? gradients(net, x, calibration) : Map.of();
        Map<String, INDArray> activations = this == ACTIVATION ? activations(net, x) : Map.of();
        var layers = Networks.layersByName(net);
        var result = new HashMap<String, int[]>();
        for (DependencyGroup g : graph.groups()) {
            double[] score = switch (this) {
                case L1, L2, FPGM, TAYLOR -> weightScores(graph, g, gradients, layers);
                case ACTIVATION -> activationScores(net, graph, g, activations, x);
            };
            result.put(g.id(), ascending(score));
        }
        return result;
    }

    /**
     * Per unit, a score from the producers' weight slices (Wo excluded: heads are scored by what they read), summed
     * over every producer of the group: all convs feeding a residual add rank the add's channels together.
     */
    private double[] weightScores(LayerGraph graph, DependencyGroup g, Map<String, INDArray> gradients, Map<String, Layer> layers) {
        int units = g.units();
        double[] score = new double[units];
        float[][] filters = new float[units][0];
        for (DependencyGroup.Member m : g.members()) {
            if (m.role() != DependencyGroup.Role.PRODUCER) continue; // producers are always DL4J layers
            String owner = Networks.layerOf(m.layer(), layers);
            Layer layer = layers.get(owner);
            for (ParamAxis a : graph.node(m.layer()).op().prunedAxes(m, layer)) {
                if (a.key().equals("Wo") || a.key().equals("b")) continue;
                INDArray w = layer.getParam(a.key());
                INDArray v = this == TAYLOR ? w.mul(gradients.get(owner + "/" + a.key())) : w;
                float[][] slices = Tensors.perUnit(v, a.axis(), units, a.block());
                for (int u = 0; u < units; u++) {
                    float[] slice = slices[u];
                    switch (this) {
                        case L1, TAYLOR -> { for (float f : slice) score[u] += Math.abs(f); }
                        case L2 -> { for (float f : slice) score[u] += (double) f * f; }
                        default -> filters[u] = concat(filters[u], slice);
                    }
                }
            }
        }
        if (this == L2) for (int u = 0; u < units; u++) score[u] = Math.sqrt(score[u]);
        if (this == FPGM) {
            for (int u = 0; u < units; u++) {
                for (int v = 0; v < units; v++) if (u != v) score[u] += distance(filters[u], filters[v]);
            }
        }
        return score;
    }

    private static double[] activationScores(Model net, LayerGraph graph, DependencyGroup g, Map<String, INDArray> acts, INDArray x) {
        LayerNode producer = graph.node(g.id());
        if (producer.op() instanceof AttentionOp) return headContributions((MultiLayerNetwork) net, graph, g, x);
        // The producer's output after the batch norms and activations that follow it, as the next layer reads it (not the
        // deployed block, LayerGraph.blockEnd: a depthwise conv's and a residual add's followers count too). A concat's
        // output holds other groups' channels too: the score is read before it.
        String at = producer.name();
        for (DependencyGroup.Member m : g.members()) {
            var op = graph.node(m.layer()).op();
            if (m.role() == DependencyGroup.Role.CONSUMER || op instanceof ConcatOp || m.offset() != 0) break;
            if (m.role() == DependencyGroup.Role.FOLLOWER && (op instanceof BatchNormOp || op instanceof ActivationOp)) at = m.layer();
        }
        INDArray a = acts.get(at);
        INDArray abs = org.nd4j.linalg.ops.transforms.Transforms.abs(a, true);
        int[] others = java.util.stream.IntStream.range(0, abs.rank()).filter(d -> d != 1).toArray();
        return abs.mean(others).toDoubleVector();
    }

    /**
     * A head's activation is internal to the attention layer; what it passes on is its share of the output
     * projection, so each head is scored by the mean |output| with every other head's rows of Wo zeroed.
     */
    private static double[] headContributions(MultiLayerNetwork net, LayerGraph graph, DependencyGroup g, INDArray x) {
        var a = (AttentionOp) graph.node(g.id()).op();
        int layerIndex = Networks.indexByName(net).get(g.id());
        MultiLayerNetwork probe = Networks.copyOf(net);
        Layer layer = probe.getLayer(layerIndex);
        INDArray wo = layer.getParam("Wo").dup();
        double[] score = new double[a.heads()];
        for (int h = 0; h < a.heads(); h++) {
            int head = h;
            int[] others = java.util.stream.IntStream.range(0, a.heads()).filter(o -> o != head).toArray();
            layer.getParam("Wo").assign(Tensors.zero(wo, 0, others, a.headSize()));
            INDArray alone = probe.feedForwardToLayer(layerIndex, x, false).get(layerIndex + 1);
            score[h] = org.nd4j.linalg.ops.transforms.Transforms.abs(alone, false).meanNumber().doubleValue();
        }
        return score;
    }

    /** Every layer's output on {@code x} (inference mode), by layer name. */
    private static Map<String, INDArray> activations(Model net, INDArray x) {
        if (net instanceof ComputationGraph g) return g.feedForward(x, false);
        var m = (MultiLayerNetwork) net;
        List<INDArray> acts = m.feedForward(x, false);
        var out = new HashMap<String, INDArray>();
        Networks.indexByName(m).forEach((name, i) -> out.put(name, acts.get(i + 1))); // feedForward's first entry is the input
        return out;
    }

    /** dLoss/dw for every producer weight, from a copy of the network, keyed "layer/param". */
    private static Map<String, INDArray> gradients(Model net, INDArray x, Images images) {
        Model copy = Networks.copyOf(net);
        org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(42); // dropout masks: the same ranking every time
        INDArray labels = InputEncoding.oneHot(images, 0, (int) x.size(0));
        if (copy instanceof ComputationGraph g) {
            g.setInputs(x);
            g.setLabels(labels);
            g.computeGradientAndScore();
        } else {
            var m = (MultiLayerNetwork) copy;
            m.setInput(x);
            m.setLabels(labels);
            m.computeGradientAndScore();
        }
        var out = new HashMap<String, INDArray>();
        // gradient keys are "<layer index>_<param>" in a sequential network and "<vertex name>_<param>" in a graph
        var confs = copy instanceof MultiLayerNetwork m ? m.getLayerWiseConfigurations().getConfs() : null;
        copy.gradient().gradientForVariable().forEach((k, v) -> {
            int sep = k.lastIndexOf('_');
            String layer = confs == null ? k.substring(0, sep) : confs.get(Integer.parseInt(k.substring(0, sep))).getLayer().getLayerName();
            out.put(layer + "/" + k.substring(sep + 1), v.dup());
        });
        return out;
    }

    private static int[] ascending(double[] score) {
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> score[a] != score[b] ? Double.compare(score[a], score[b]) : Integer.compare(a, b));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }
}
