package dev.squeeze.model.compress;

import dev.squeeze.Progress;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.Backend;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.NativeMemory;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Distillation fine-tuning of a pruned student from the original network. The loss is
 * {@code alpha * CE(labels) + (1 - alpha) * T^2 * KL(teacher_T || student_T)} ({@link DistillationLoss}), plus
 * {@code featureWeight * MSE} between the plan's named intermediate outputs (the teacher's output projected onto
 * the units the student kept). With quantisation-aware training each step runs on the plan's quantised weights
 * and applies its update to the float weights (straight-through estimator). One step is written out layer by
 * layer, because DL4J's {@code fit} cannot add a loss at an inner layer.
 */
public final class FineTuner {
    /**
     * @param epochs           passes over the training images (fractions allowed: 0.1 = a tenth of an epoch)
     * @param batch            images per step
     * @param learningRate     Adam's first step size, decayed linearly to zero over the fine-tune
     * @param quantizationAware re-quantise weights every step with a straight-through gradient
     * @param featureWeight    weight of the feature MSE term (used when the plan names feature layers)
     * @param seed             shuffling and dropout seed, so a fine-tune repeats
     */
    public record Settings(double epochs, int batch, double learningRate, boolean quantizationAware, double featureWeight, long seed) {
        public static final Settings DEFAULT = new Settings(1, 64, 1e-3, true, 1.0, 42);

        public Settings {
            if (!(epochs > 0)) throw new IllegalArgumentException("fine-tuning epochs must be > 0, got " + epochs);
            if (batch < 1) throw new IllegalArgumentException("fine-tuning batch must be >= 1, got " + batch);
        }

        public Settings withSeed(long seed) {
            return new Settings(epochs, batch, learningRate, quantizationAware, featureWeight, seed);
        }

        public Settings withEpochs(double e) {
            return new Settings(e, batch, learningRate, quantizationAware, featureWeight, seed);
        }
    }

    /**
     * The network distilled from: the uncompressed model and its graph, and optionally its outputs for every image of
     * the train split computed once ({@link TeacherOutputs}); without them, or with feature distillation (which needs
     * the teacher's inner layers), each step runs the teacher on its batch.
     */
    public record Teacher(MultiLayerNetwork network, LayerGraph graph, TeacherOutputs outputs) {
        public static Teacher of(MultiLayerNetwork network, LayerGraph graph) {
            return new Teacher(network, graph, null);
        }
    }

    /** A fine-tuned network and what it took: steps, the smoothed loss at the end, seconds. */
    public record Result(MultiLayerNetwork network, int steps, double finalLoss, double seconds) {}

    private FineTuner() {}

    /**
     * A fine-tuned copy of {@code student}. {@code teacher} is the uncompressed network; {@code selection} says
     * which teacher units the student kept (for feature distillation across different widths).
     */
    public static Result fineTune(MultiLayerNetwork student, LayerGraph studentGraph, UnitSelection selection,
                                             Teacher teacher, CompressionPlan plan,
                                             Images train, InputEncoding encoding, Settings s, Progress progress) {
        LayerGraph teacherGraph = teacher.graph();
        if (teacher.outputs() != null && !teacher.outputs().isFor(train)) {
            throw new IllegalArgumentException("the teacher's outputs were computed for another train split");
        }
        var kd = plan.distillation();
        int perEpoch = Math.max(1, train.count() / s.batch());
        int steps = (int) Math.max(1, Math.round(s.epochs() * perEpoch));
        // Linear decay to zero over the fine-tune: a short recovery needs a large first step and a quiet finish.
        var schedule = new org.nd4j.linalg.schedule.PolySchedule(org.nd4j.linalg.schedule.ScheduleType.ITERATION, s.learningRate(), 1.0, steps);
        MultiLayerNetwork net = trainable(student, schedule, new DistillationLoss(kd.temperature(), kd.alpha()));
        var index = Networks.indexByName(net);
        var features = new HashMap<Integer, int[]>(); // student layer index -> teacher units it kept (null = all)
        for (String f : kd.featureLayers()) {
            if (!index.containsKey(f)) {
                throw new dev.squeeze.SqueezeException("distillation feature_layers: '" + f + "' is not a layer of the network; layers: "
                        + String.join(", ", teacherGraph.layerNames()));
            }
            features.put(index.get(f), keptAt(teacherGraph, selection, f));
        }
        long start = System.nanoTime();
        var random = new java.util.Random(s.seed());
        Nd4j.getRandom().setSeed(s.seed());
        int[] order = dev.squeeze.data.DataSplits.permutation(train.count(), random);
        double recent = 0;
        int recentCount = 0, correct = 0, seen = 0;
        for (int step = 0; step < steps; step++) {
            int pos = (step % perEpoch) * s.batch();
            if (step > 0 && step % perEpoch == 0) order = dev.squeeze.data.DataSplits.permutation(train.count(), random);
            int[] at = java.util.Arrays.copyOfRange(order, pos, Math.min(train.count(), pos + s.batch()));
            Images batch = train.subset(at);
            INDArray x = encoding.features(batch, 0, batch.count());
            boolean cached = teacher.outputs() != null && features.isEmpty();
            List<INDArray> teacherActs = cached ? List.of() : teacher.network().feedForward(x, false);
            INDArray teacherProbs = cached ? teacher.outputs().rows(at) : teacherActs.get(teacherActs.size() - 1);
            INDArray labels = DistillationLoss.pack(InputEncoding.oneHot(batch, 0, batch.count()), teacherProbs, kd.temperature());

            INDArray floatParams = s.quantizationAware() ? net.params().dup() : null;
            INDArray quantParams = null;
            if (floatParams != null) {
                Compressor.quantizeWeights(net, studentGraph, plan);
                quantParams = net.params().dup();
            }
            var out = step(net, x, labels, features, teacherActs, s.featureWeight());
            if (floatParams != null) net.params().subi(quantParams).addi(floatParams); // STE: the update lands on the floats
            // this step's arrays, freed now rather than at some later collection (see NativeMemory)
            Backend.release(floatParams, quantParams, labels, x);
            teacherActs.forEach(Backend::release);
            if (cached) Backend.release(teacherProbs);
            NativeMemory.checkpoint();

            recent = recentCount < 100 ? recent + out.loss : recent * 0.99 + out.loss;
            recentCount = Math.min(100, recentCount + 1);
            for (int i = 0; i < out.predicted.length; i++) if (out.predicted[i] == batch.labels()[i]) correct++;
            seen += out.predicted.length;
            if (step % 10 == 0 || step == steps - 1) {
                progress.update(String.format("fine-tune step %d/%d  epoch %.2f  loss %.4f  train accuracy %.3f",
                        step + 1, steps, (step + 1) / (double) perEpoch, recent / recentCount, (double) correct / seen));
            }
            if ((step + 1) % perEpoch == 0 || step == steps - 1) {
                progress.log(String.format("fine-tune epoch %.2f: loss %.4f, train accuracy %.4f", (step + 1) / (double) perEpoch,
                        recent / recentCount, (double) correct / seen));
                correct = seen = 0;
            }
        }
        MultiLayerNetwork tuned = restoreLoss(net, student);
        Backend.release(net); // the training copy, with its gradients and Adam state
        return new Result(tuned, steps, recent / Math.max(1, recentCount), (System.nanoTime() - start) / 1e9);
    }

    record StepResult(double loss, int[] predicted) {}

    /** Forward with training behaviour, backward from the loss (plus feature terms), one Adam update. */
    static StepResult step(MultiLayerNetwork net, INDArray x, INDArray labels, Map<Integer, int[]> features,
                                   List<INDArray> teacherActs, double featureWeight) {
        var mgr = LayerWorkspaceMgr.noWorkspaces();
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        Layer[] layers = net.getLayers();
        int n = (int) x.size(0);
        INDArray[] acts = new INDArray[layers.length];
        INDArray a = x;
        for (int i = 0; i < layers.length; i++) {
            InputPreProcessor pp = conf.getInputPreProcess(i);
            if (pp != null) a = pp.preProcess(a, n, mgr);
            a = layers[i].activate(a, true, mgr);
            acts[i] = a;
        }
        int last = layers.length - 1;
        var output = (IOutputLayer) layers[last];
        output.setLabels(labels);
        double loss = output.computeScore(0, true, mgr);
        var gradient = new DefaultGradient(net.getFlattenedGradients());
        var back = layers[last].backpropGradient(null, mgr);
        back.getFirst().gradientForVariable().forEach((k, v) -> gradient.setGradientFor(last + "_" + k, v));
        INDArray eps = back.getSecond();
        for (int i = last - 1; i >= 0; i--) {
            InputPreProcessor pp = conf.getInputPreProcess(i + 1);
            if (pp != null) eps = pp.backprop(eps, n, mgr);
            if (features.containsKey(i)) {
                // teacherActs[0] is the input, so layer i's output is at i + 1
                INDArray target = teacherActs.get(i + 1);
                int[] kept = features.get(i);
                if (kept != null) target = Tensors.take(target, 1, kept, 1);
                INDArray diff = acts[i].sub(target);
                loss += featureWeight * diff.mul(diff).meanNumber().doubleValue();
                eps = eps.add(diff.muli(2.0 * featureWeight / diff.length()));
            }
            int layer = i;
            back = layers[i].backpropGradient(eps, mgr);
            back.getFirst().gradientForVariable().forEach((k, v) -> gradient.setGradientFor(layer + "_" + k, v));
            eps = back.getSecond();
        }
        int iteration = net.getIterationCount();
        net.getUpdater().update(net, gradient, iteration, net.getEpochCount(), n, mgr);
        net.params().subi(net.getFlattenedGradients().reshape(net.params().shape()));
        net.setIterationCount(iteration + 1);
        INDArray classes = acts[last].argMax(1);
        var result = new StepResult(loss, classes.toIntVector());
        Backend.release(classes, eps);
        Backend.release(acts); // the input x is the caller's; every layer output here is this step's own
        return result;
    }

    /** A fresh copy with Adam on the {@code lr} schedule on every layer and the distillation loss on the output layer. */
    static MultiLayerNetwork trainable(MultiLayerNetwork student, org.nd4j.linalg.schedule.ISchedule lr, DistillationLoss loss) {
        MultiLayerConfiguration conf = student.getLayerWiseConfigurations().clone();
        for (var c : conf.getConfs()) {
            var layer = c.getLayer();
            if (layer instanceof BaseLayer b) b.setIUpdater(new Adam(lr));
            if (layer instanceof AbstractSameDiffLayer sd) sd.setUpdater(new Adam(lr));
            if (layer instanceof BaseOutputLayer o) o.setLossFn(loss);
        }
        conf.setIterationCount(0);
        conf.setEpochCount(0);
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init(student.params().dup(), false);
        net.initGradientsView();
        return net;
    }

    /** The fine-tuned parameters in a network configured like the original student (its own loss and updater). */
    private static MultiLayerNetwork restoreLoss(MultiLayerNetwork tuned, MultiLayerNetwork student) {
        MultiLayerNetwork out = new MultiLayerNetwork(student.getLayerWiseConfigurations().clone());
        out.init(tuned.params().dup(), false);
        return out;
    }

    /** The teacher units present at a layer's output in the student: its dependency group's kept units, or all. */
    private static int[] keptAt(LayerGraph teacherGraph, UnitSelection selection, String layer) {
        for (DependencyGroup g : teacherGraph.groups()) {
            boolean carries = g.members().stream().anyMatch(m -> m.layer().equals(layer) && m.role() != DependencyGroup.Role.CONSUMER);
            if (carries && !(teacherGraph.node(layer).op() instanceof dev.squeeze.model.LayerOp.Attention)) return selection.keptOf(g.id());
        }
        return null;
    }
}
