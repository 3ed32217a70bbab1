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
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Distillation fine-tuning of a pruned student from the original network. The loss is
 * {@code alpha * CE(labels) + (1 - alpha) * T^2 * KL(teacher_T || student_T)} ({@link DistillationLoss}), plus
 * {@code featureWeight * MSE} between the plan's named intermediate outputs (the teacher's output projected onto
 * the units the student kept). With quantisation-aware training each step runs on the plan's quantised weights
 * and applies its update to the float weights (straight-through estimator). One step is written out node by node
 * over the student's {@link Topology} (either kind of DL4J network; a residual add passes its gradient to every input),
 * because DL4J's {@code fit} cannot add a loss at an inner layer.
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
    public record Teacher(Model network, LayerGraph graph, TeacherOutputs outputs) {
        public static Teacher of(Model network, LayerGraph graph) {
            return new Teacher(network, graph, null);
        }
    }

    /** A fine-tuned network and what it took: steps, the smoothed loss at the end, seconds. */
    public record Result(Model network, int steps, double finalLoss, double seconds) {}

    private FineTuner() {}

    /**
     * A fine-tuned copy of {@code student}. {@code teacher} is the uncompressed network; {@code selection} says
     * which teacher units the student kept (for feature distillation across different widths).
     */
    public static Result fineTune(Model student, LayerGraph studentGraph, UnitSelection selection,
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
        // without labels, pure distillation: the hard-label term has nothing to learn from (alpha 0)
        boolean labelled = train.labelled();
        String trainMetric = labelled ? "accuracy" : "agreement with the teacher";
        Model net = trainable(student, schedule, new DistillationLoss(kd.temperature(), labelled ? kd.alpha() : 0));
        Topology topology = Topology.of(net);
        var features = new HashMap<String, int[]>(); // student node -> teacher units it kept (null = all)
        for (String f : kd.featureLayers()) {
            if (!topology.has(f)) {
                throw new dev.squeeze.SqueezeException("distillation feature_layers: '" + f + "' is not a layer of the network; layers: "
                        + String.join(", ", topology.names()));
            }
            features.put(f, keptAt(teacherGraph, selection, f));
        }
        Topology teacherTopology = Topology.of(teacher.network());
        ActivationQuant inputGrid = s.quantizationAware() ? Deployment.gridOf(train, encoding) : null; // as Compressor quantises
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
            Map<String, INDArray> teacherActs = cached ? Map.of() : outputs(teacher.network(), teacherTopology, x, features.keySet());
            INDArray teacherProbs = cached ? teacher.outputs().rows(at) : teacherActs.get(teacherTopology.output().name());
            // unlabelled: the teacher's classes stand in for labels, at weight 0 in the loss and as what train agreement is read against
            int[] targets = labelled ? batch.labels() : dev.squeeze.model.Accuracy.classes(teacherProbs.dup());
            INDArray hard = labelled ? InputEncoding.oneHot(batch, 0, batch.count()) : oneHot(targets, (int) teacherProbs.size(1));
            INDArray labels = DistillationLoss.pack(hard, teacherProbs, kd.temperature());
            Backend.release(hard);

            INDArray floatParams = s.quantizationAware() ? net.params().dup() : null;
            INDArray quantParams = null;
            if (floatParams != null) {
                Compressor.quantizeWeights(net, studentGraph, plan, inputGrid);
                quantParams = net.params().dup();
            }
            var out = step(net, topology, x, labels, features, teacherActs, s.featureWeight());
            if (floatParams != null) net.params().subi(quantParams).addi(floatParams); // STE: the update lands on the floats
            // this step's arrays, freed now rather than at some later collection (see NativeMemory)
            Backend.release(floatParams, quantParams, labels, x);
            teacherActs.values().forEach(Backend::release);
            if (cached) Backend.release(teacherProbs);
            NativeMemory.checkpoint();

            recent = recentCount < 100 ? recent + out.loss : recent * 0.99 + out.loss;
            recentCount = Math.min(100, recentCount + 1);
            for (int i = 0; i < out.predicted.length; i++) if (out.predicted[i] == targets[i]) correct++;
            seen += out.predicted.length;
            if (step % 10 == 0 || step == steps - 1) {
                progress.update(String.format("fine-tune step %d/%d  epoch %.2f  loss %.4f  train %s %.3f",
                        step + 1, steps, (step + 1) / (double) perEpoch, recent / recentCount, trainMetric, (double) correct / seen));
            }
            if ((step + 1) % perEpoch == 0 || step == steps - 1) {
                progress.log(String.format("fine-tune epoch %.2f: loss %.4f, train %s %.4f", (step + 1) / (double) perEpoch,
                        recent / recentCount, trainMetric, (double) correct / seen));
                correct = seen = 0;
            }
        }
        Model tuned = Networks.rebuilt(student, net.params(), layer -> {}, false); // the student's own loss and updater
        Backend.release(net); // the training copy, with its gradients and Adam state
        return new Result(tuned, steps, recent / Math.max(1, recentCount), (System.nanoTime() - start) / 1e9);
    }

    record StepResult(double loss, int[] predicted) {}

    private static INDArray oneHot(int[] classes, int n) {
        float[] y = new float[classes.length * n];
        for (int i = 0; i < classes.length; i++) y[i * n + classes[i]] = 1f;
        return Nd4j.create(y, new long[]{classes.length, n}, 'c');
    }

    /** The teacher's outputs (inference mode) at the feature layers and its output layer, by name. */
    private static Map<String, INDArray> outputs(Model teacher, Topology t, INDArray x, java.util.Set<String> features) {
        var kept = new HashMap<String, INDArray>();
        String output = t.output().name();
        Inference.run(teacher, t, Map.of(), x, (name, a) -> {
            if (features.contains(name) || name.equals(output)) kept.put(name, a.dup());
            return a;
        });
        return kept;
    }

    /** Forward with training behaviour, backward from the loss (plus feature terms), one Adam update. */
    static StepResult step(Model net, Topology t, INDArray x, INDArray labels, Map<String, int[]> features,
                           Map<String, INDArray> teacherActs, double featureWeight) {
        var mgr = LayerWorkspaceMgr.noWorkspaces();
        Map<String, Layer> layers = Networks.layersByName(net);
        int n = (int) x.size(0);
        var acts = new HashMap<String, INDArray>();
        var owned = new ArrayList<INDArray>(); // this step's arrays, freed at its end (the input x is the caller's)
        acts.put(t.input(), x);
        for (Topology.Node node : t.nodes()) {
            INDArray a;
            if (node.isLayer()) {
                INDArray in = acts.get(node.input());
                if (node.preprocessor() != null) owned.add(in = node.preprocessor().preProcess(in, n, mgr));
                a = layers.get(node.name()).activate(in, true, mgr);
            } else {
                a = Topology.merge(node, node.inputs().stream().map(acts::get).toList());
            }
            owned.add(a);
            acts.put(node.name(), a);
        }
        Topology.Node last = t.output();
        var output = (IOutputLayer) layers.get(last.name());
        output.setLabels(labels);
        double loss = output.computeScore(0, true, mgr);
        var gradient = new DefaultGradient(Networks.gradients(net));
        var eps = new HashMap<String, INDArray>(); // dLoss/d(each node's output), summed over its readers
        List<Topology.Node> nodes = t.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Topology.Node node = nodes.get(i);
            INDArray e = eps.remove(node.name());
            if (node != last && e == null) continue; // nothing the loss depends on reads it
            if (node != last && features.containsKey(node.name())) {
                INDArray target = teacherActs.get(node.name());
                int[] kept = features.get(node.name());
                if (kept != null) owned.add(target = Tensors.take(target, 1, kept, 1));
                INDArray diff = acts.get(node.name()).sub(target);
                loss += featureWeight * diff.mul(diff).meanNumber().doubleValue();
                owned.add(diff);
                e = e == null ? diff.mul(2.0 * featureWeight / diff.length()) : e.add(diff.mul(2.0 * featureWeight / diff.length()));
                owned.add(e);
            }
            if (node.isLayer()) {
                var back = layers.get(node.name()).backpropGradient(node == last ? null : e, mgr);
                back.getFirst().gradientForVariable().forEach((k, v) -> gradient.setGradientFor(node.gradientKey() + "_" + k, v));
                INDArray toInput = back.getSecond();
                if (toInput != null && node.preprocessor() != null) toInput = node.preprocessor().backprop(toInput, n, mgr);
                accumulate(eps, node.input(), toInput, t, owned);
            } else if (node.kind() == Topology.Kind.ADD) {
                for (String in : node.inputs()) accumulate(eps, in, e, t, owned);
            } else { // a concat: each input receives its own features' slice of the gradient
                long from = 0;
                for (String in : node.inputs()) {
                    long width = acts.get(in).size(1);
                    accumulate(eps, in, e.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + width)).dup(), t, owned);
                    from += width;
                }
            }
        }
        Networks.update(net, gradient, n, mgr);
        INDArray classes = acts.get(last.name()).argMax(1);
        var result = new StepResult(loss, classes.toIntVector());
        Backend.release(classes);
        for (INDArray a : owned) Backend.releaseUnlessShared(a, x);
        eps.values().forEach(a -> Backend.releaseUnlessShared(a, x));
        return result;
    }

    /** Adds a reader's gradient to what node {@code to}'s output receives (the network input needs none). */
    private static void accumulate(Map<String, INDArray> eps, String to, INDArray e, Topology t, List<INDArray> owned) {
        if (e == null || to.equals(t.input())) return;
        INDArray before = eps.get(to);
        if (before == null) {
            eps.put(to, e);
        } else {
            INDArray sum = before.add(e);
            owned.add(sum);
            eps.put(to, sum);
        }
        owned.add(e);
    }

    /** A fresh copy with Adam on the {@code lr} schedule on every layer and the distillation loss on the output layer. */
    static Model trainable(Model student, org.nd4j.linalg.schedule.ISchedule lr, DistillationLoss loss) {
        Model net = Networks.rebuilt(student, student.params(), layer -> {
            if (layer instanceof BaseLayer b) b.setIUpdater(new Adam(lr));
            if (layer instanceof AbstractSameDiffLayer sd) sd.setUpdater(new Adam(lr));
            if (layer instanceof BaseOutputLayer o) o.setLossFn(loss);
        }, true);
        Networks.gradients(net);
        return net;
    }

    /** The teacher units present at a layer's output in the student: its dependency group's kept units, or all. */
    private static int[] keptAt(LayerGraph teacherGraph, UnitSelection selection, String layer) {
        var carried = teacherGraph.groups().stream().flatMap(g -> g.members().stream())
                .filter(m -> m.layer().equals(layer) && m.role() != DependencyGroup.Role.CONSUMER).toList();
        if (carried.size() > 1 || carried.stream().anyMatch(m -> m.offset() != 0)) {
            throw new dev.squeeze.SqueezeException("distillation feature_layers: '" + layer + "' holds a concat's channels, which feature "
                    + "distillation cannot match yet; name a layer before the concat or after the next convolution");
        }
        for (DependencyGroup g : teacherGraph.groups()) {
            boolean carries = g.members().stream().anyMatch(m -> m.layer().equals(layer) && m.role() != DependencyGroup.Role.CONSUMER);
            if (carries && !(teacherGraph.node(layer).op() instanceof dev.squeeze.model.AttentionOp)) return selection.keptOf(g.id());
        }
        return null;
    }
}
