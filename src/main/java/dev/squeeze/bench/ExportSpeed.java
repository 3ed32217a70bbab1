package dev.squeeze.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.LayerPlan;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.Plans;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.onnx.OnnxRunner;
import dev.squeeze.onnx.OnnxWriter;
import dev.squeeze.results.RunReport;
import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code squeeze bench export-speed}: how fast ONNX Runtime runs the files export writes, per format. Each plan is
 * applied without fine-tuning (as the measured rung applies it), exported, and timed in this one process at batch 1
 * on one intra-op thread beside the uniform-int8 export of the same pruning, in interleaved rounds (each round times
 * every model, in a rotated order). The bar: no plan slower than the uniform-int8 export of its pruning.
 */
public final class ExportSpeed {
    private ExportSpeed() {}

    /** A plan by name. */
    public record Named(String name, CompressionPlan plan) {}

    /**
     * @param model     a model name or file
     * @param plans     extra plan files (squeeze-plan/v1), each timed as well
     * @param fronts    runs whose front members are timed as well (run ids under {@code results}, or folders)
     * @param results   where run ids are looked up
     * @param rounds    interleaved rounds
     * @param runs      timed runs of each model per round
     * @param images    test images for the agreement and accuracy columns
     */
    public record Request(String model, List<String> uniform, List<Path> plans, List<String> fronts, Path results, int rounds, int runs, int images,
                          Path dataDir) {}

    /**
     * One exported plan: its median time, the uniform-int8 export of the same pruning and the ratio, the simulation's
     * agreement with ONNX Runtime and ONNX Runtime's accuracy on the test images, the file's size, and the kernels ONNX
     * Runtime runs (op types of its optimised graph, with counts).
     */
    public record Row(String name, String plan, double micros, String int8Plan, double int8Micros, double ratio, double agreement,
                      double accuracy, long bytes, String kernels) {}

    public record Result(String model, int rounds, int runs, int images, String data, List<Row> rows) {}

    /** A plan as exported and checked, before the timing. */
    private record Exported(String name, CompressionPlan plan, CompressionPlan int8, double agreement, double accuracy, long bytes, String kernels) {}

    /**
     * fashion-cnn's plans: every format the search can choose (weights 2..8, 16 and 32, activations 4..8, 16 and 32, each
     * with the others), pruned and not.
     */
    public static List<Named> builtInPlans() {
        var plans = new ArrayList<Named>();
        plans.add(new Named("fp32", CompressionPlan.none()));
        plans.add(new Named("uniform int8", CompressionPlan.uniform("w8a8")));
        plans.add(new Named("issue 14's front member", mixed(Map.of("conv2", layer(0.25, 8, 8), "dense1", layer(0.625, 4, 8), "output", layer(0, 4, 8)))));
        plans.add(new Named("uniform w4a8", CompressionPlan.uniform("w4a8")));
        plans.add(new Named("w3 convs", mixed(Map.of("conv1", layer(0, 3, 8), "conv2", layer(0, 3, 8)))));
        plans.add(new Named("w2 dense1, pruned 50%", mixed(Map.of("dense1", layer(0.5, 2, 8)))));
        plans.add(new Named("uniform w8a6", CompressionPlan.uniform("w8a6")));
        plans.add(new Named("uniform w8a4", CompressionPlan.uniform("w8a4")));
        plans.add(new Named("every format, pruned", mixed(Map.of("conv1", layer(0, 3, 6), "conv2", layer(0.25, 6, 4),
                "dense1", layer(0.625, 4, 8), "output", layer(0, 2, 8)))));
        plans.add(new Named("w6a8 pruned 37.5%", CompressionPlan.uniform("w6a8p0.375")));
        plans.add(new Named("fp16 weights and activations", CompressionPlan.uniform("w16a16")));
        plans.add(new Named("int8 weights, float activations", CompressionPlan.uniform("w8a32")));
        plans.add(new Named("int4 weights, float activations", CompressionPlan.uniform("w4a32")));
        plans.add(new Named("float weights, int8 activations", CompressionPlan.uniform("w32a8")));
        return plans;
    }

    private static CompressionPlan mixed(Map<String, LayerPlan> layers) {
        return new CompressionPlan(layer(0, 8, 8), layers, CompressionPlan.Distillation.DEFAULT);
    }

    private static LayerPlan layer(double prune, int w, int a) {
        return new LayerPlan(prune, w, a);
    }

    /**
     * {@code plan}'s pruning with 8-bit weights and activations everywhere, written with only the layers whose pruning
     * differs from the default's, so that plans of the same pruning share one export (and one timing).
     */
    static CompressionPlan int8OfPruning(CompressionPlan plan) {
        LayerPlan defaults = layer(plan.defaults().pruneRatio(), 8, 8);
        var layers = new java.util.TreeMap<String, LayerPlan>();
        plan.layers().forEach((k, v) -> {
            if (v.pruneRatio() != defaults.pruneRatio()) layers.put(k, layer(v.pruneRatio(), 8, 8));
        });
        return new CompressionPlan(defaults, layers, CompressionPlan.Distillation.DEFAULT);
    }

    public static Result run(Request r, Progress progress) {
        ModelHandle m = ModelStore.load(r.model());
        DataSplits splits = DataSplits.load(r.dataDir(), 42, DataSplits.DEFAULT_CALIBRATION);
        m.checkReads(splits);
        var plans = new ArrayList<Named>();
        if (m.name().equals("fashion-cnn")) plans.addAll(builtInPlans());
        else plans.addAll(List.of(new Named("fp32", CompressionPlan.none()), new Named("uniform int8", CompressionPlan.uniform("w8a8")),
                new Named("uniform w4a8", CompressionPlan.uniform("w4a8")), new Named("uniform w8a4", CompressionPlan.uniform("w8a4"))));
        for (String u : r.uniform()) plans.add(new Named("uniform " + u, CompressionPlan.uniform(u)));
        for (Path p : r.plans()) plans.add(new Named(p.getFileName().toString(), Plans.load(p)));
        for (String run : r.fronts()) {
            RunReport report = RunReport.load(run, r.results());
            for (var member : report.members()) plans.add(new Named(report.run() + " " + member.id(), member.plan()));
        }

        var compressor = new Compressor(m, Compressor.Options.DEFAULT, splits.calibration());
        var inputType = Dl4jGraphs.toInputType(m.graph().inputs().values().iterator().next());
        Images test = splits.test().head(Math.min(r.images(), splits.test().count()));
        var encoded = Accuracy.Encoded.of(test, m.encoding());
        var models = new LinkedHashMap<String, byte[]>(); // by plan key: each distinct export once
        var exported = new ArrayList<Exported>();
        for (Named n : plans) {
            CompressionPlan plan = n.plan().validate(m.graph(), n.name());
            CompressionPlan int8 = int8OfPruning(plan);
            progress.update("exporting " + n.name());
            CompressedModel c = compressor.apply(plan);
            byte[] onnx = models.computeIfAbsent(plan.key(), k -> OnnxWriter.write(c, inputType));
            models.computeIfAbsent(int8.key(), k -> OnnxWriter.write(compressor.apply(int8), inputType));
            int[] simulated = encoded.predictions(c::predict);
            int[] ort;
            try (var runner = OnnxRunner.of(onnx, 1)) {
                ort = encoded.predictions(runner::predict);
            }
            exported.add(new Exported(n.name(), plan, int8, Accuracy.share(simulated, ort), Accuracy.share(ort, test.labels()), onnx.length, kernels(onnx)));
        }

        progress.update("timing " + models.size() + " models, " + r.rounds() + " interleaved rounds of " + r.runs() + " runs, batch 1, 1 thread");
        Map<String, double[]> rounds = time(models, m.encoding().features(test, 0, 1), r.rounds(), r.runs(), progress);
        var rows = new ArrayList<Row>();
        for (Exported e : exported) {
            double[] t = rounds.get(e.plan().key()), t8 = rounds.get(e.int8().key());
            double[] ratios = new double[t.length];
            for (int i = 0; i < t.length; i++) ratios[i] = t[i] / t8[i];
            rows.add(new Row(e.name(), describe(e.plan()), median(t), describe(e.int8()), median(t8), median(ratios), e.agreement(), e.accuracy(),
                    e.bytes(), e.kernels()));
        }
        var d = splits.description();
        return new Result(m.name(), r.rounds(), r.runs(), test.count(), d.source() + " (" + d.test() + " test images)", rows);
    }

    /**
     * Per model, the median microseconds per run (batch 1, one intra-op thread) in each of the interleaved rounds. A plan's
     * time is the median of its rounds' medians, its ratio the median of the per-round ratios: a ratio from the same round
     * cancels the drift of a machine shared with other work, which moved whole rounds by 10% here.
     */
    private static Map<String, double[]> time(Map<String, byte[]> models, INDArray x, int rounds, int runs, Progress progress) {
        var keys = new ArrayList<>(models.keySet());
        var runners = new ArrayList<OnnxRunner>();
        try {
            for (String k : keys) runners.add(OnnxRunner.of(models.get(k), 1));
            for (OnnxRunner runner : runners) runner.time(x, Math.max(50, runs)); // warm-up: arenas, caches, the JIT
            var medians = new ArrayList<double[]>();
            for (int i = 0; i < keys.size(); i++) medians.add(new double[rounds]);
            for (int round = 0; round < rounds; round++) {
                progress.update("timing: round " + (round + 1) + "/" + rounds);
                for (int j = 0; j < keys.size(); j++) {
                    int i = (j + round) % keys.size(); // rotated, so no model always runs right after the same one
                    medians.get(i)[round] = 1e6 * median(runners.get(i).time(x, runs));
                }
            }
            var out = new LinkedHashMap<String, double[]>();
            for (int i = 0; i < keys.size(); i++) out.put(keys.get(i), medians.get(i));
            return out;
        } finally {
            runners.forEach(OnnxRunner::close);
        }
    }

    /** {@link OnnxRunner#optimisedOps} as "op xN" in order of first appearance, leaving out layout moves (Transpose, Reshape). */
    static String kernels(byte[] onnx) {
        var counts = new LinkedHashMap<String, Integer>();
        for (String op : OnnxRunner.optimisedOps(onnx)) if (!op.equals("Transpose") && !op.equals("Reshape")) counts.merge(op, 1, Integer::sum);
        var parts = new ArrayList<String>();
        counts.forEach((op, k) -> parts.add(k == 1 ? op : op + " x" + k));
        return String.join(", ", parts);
    }

    /** A plan in one line: the defaults, then each layer that differs, as {@code name:w4a8p0.625}. */
    static String describe(CompressionPlan plan) {
        var parts = new ArrayList<String>();
        parts.add(shorthand(plan.defaults()));
        plan.layers().forEach((k, v) -> {
            if (!v.equals(plan.defaults())) parts.add(k + ":" + shorthand(v));
        });
        return String.join(" ", parts);
    }

    private static String shorthand(LayerPlan p) {
        return "w" + p.weightBits() + "a" + p.actBits() + (p.pruneRatio() > 0 ? "p" + p.pruneRatio() : "");
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
