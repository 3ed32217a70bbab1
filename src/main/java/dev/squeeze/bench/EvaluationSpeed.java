package dev.squeeze.bench;

import dev.squeeze.evaluators.AccuracyProxy;
import dev.squeeze.evaluators.MeasuredAccuracy;
import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.onnx.OnnxCalibrator;
import dev.squeeze.onnx.OnnxRunner;
import dev.squeeze.onnx.OnnxWriter;
import dev.squeeze.onnx.Ort;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.Compressor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * How fast the {@code measured} rung evaluates plans, side by side with ONNX Runtime's inference throughput on
 * the uncompressed model (same images, same thread count): images per second through "apply the plan, then
 * measure accuracy", for the DL4J simulation and for the ONNX Runtime rung, with a per-stage breakdown.
 */
public final class EvaluationSpeed {
    private EvaluationSpeed() {}

    /** Varied plans: bits alone, pruning alone, both, fp16, and the uncompressed plan. */
    public static final List<String> PLANS = List.of("w8a8", "w4a8p0.25", "w8a8p0.5", "w6a8p0.125", "w8a4", "w16a16", "w4a4p0.375", "w32a32");

    public record Request(String model, int images, int threads, int rounds, Path dataDir) {}

    /** Median milliseconds of one stage for one plan, on one thread. */
    public record Stage(String name, double millis) {}

    public record Result(String model, int images, int threads, int plansEvaluated, double ortUncompressedImagesPerSecond,
                         double dl4jImagesPerSecond, double onnxImagesPerSecond, double dl4jShare, double onnxShare,
                         double maxAccuracyDifference, List<Stage> stages) {}

    public static Result run(Request r, Progress progress) {
        ModelHandle m = ModelStore.load(r.model());
        DataSplits splits = DataSplits.load(r.dataDir(), 42, Math.max(r.images(), 500));
        m.checkReads(splits);
        Images images = splits.calibration().head(r.images());
        List<CompressionPlan> plans = PLANS.stream().map(p -> CompressionPlan.uniform(p).validate(m.graph(), "plan " + p)).toList();
        if (r.threads() > 1) dev.squeeze.model.Backend.oneThreadPerCandidate();
        var options = Compressor.Options.DEFAULT;

        progress.update("ONNX Runtime, uncompressed, " + r.threads() + " intra-op threads");
        // the baseline at its faster batch size, on a warm session
        double ort = 0;
        try (OnnxRunner runner = OnnxRunner.of(OnnxWriter.write(m, java.util.Map.of()), r.threads())) {
            for (int batch : new int[]{Accuracy.BATCH, OnnxRunner.FRESH_SESSION_BATCH}) {
                var encoded = Accuracy.Encoded.of(images, m.encoding(), batch);
                encoded.accuracy(runner::predict); // warm-up
                double[] seconds = new double[Math.max(3, r.rounds() * 2)];
                for (int i = 0; i < seconds.length; i++) {
                    long t = System.nanoTime();
                    encoded.accuracy(runner::predict);
                    seconds[i] = (System.nanoTime() - t) / 1e9;
                }
                ort = Math.max(ort, images.count() / median(seconds));
            }
        }

        progress.update("per-stage times on one thread");
        var stages = stages(m, images, options, plans);
        double maxDiff = 0;
        // as the search builds them: one shared part per rung, one proxy per worker
        var dl4jShared = MeasuredAccuracy.Shared.of(m, images, options, MeasuredAccuracy.Runtime.DL4J);
        var onnxShared = MeasuredAccuracy.Shared.of(m, images, options, MeasuredAccuracy.Runtime.ONNX_RUNTIME);
        var dl4j = new MeasuredAccuracy(dl4jShared);
        var onnx = new MeasuredAccuracy(onnxShared);
        for (CompressionPlan p : plans.subList(0, 3)) maxDiff = Math.max(maxDiff, Math.abs(dl4j.quality(p) - onnx.quality(p)));

        progress.update("DL4J rung, " + r.threads() + " candidates in parallel");
        double dl4jRate = throughput(() -> new MeasuredAccuracy(dl4jShared), plans, r, images.count());
        progress.update("ONNX Runtime rung, " + r.threads() + " candidates in parallel");
        double onnxRate = throughput(() -> new MeasuredAccuracy(onnxShared), plans, r, images.count());
        return new Result(m.name(), images.count(), r.threads(), plans.size() * r.rounds(), ort, dl4jRate, onnxRate, dl4jRate / ort,
                onnxRate / ort, maxDiff, stages);
    }

    /** Images per second when {@code threads} workers, one proxy each, evaluate every plan {@code rounds} times. */
    private static double throughput(Supplier<AccuracyProxy> proxy, List<CompressionPlan> plans, Request r, int images) {
        var local = ThreadLocal.withInitial(proxy);
        ExecutorService pool = Executors.newFixedThreadPool(r.threads(), Ort.threads("squeeze-bench", false));
        try {
            // warm-up, untimed: one round over the plans, so every worker has built its proxy and the JIT has seen every path
            var warm = new ArrayList<Future<Double>>();
            for (CompressionPlan p : plans) warm.add(pool.submit(() -> local.get().quality(p)));
            for (var f : warm) f.get();
            long t = System.nanoTime();
            var jobs = new ArrayList<Future<Double>>();
            for (int round = 0; round < r.rounds(); round++) for (CompressionPlan p : plans) jobs.add(pool.submit(() -> local.get().quality(p)));
            for (var f : jobs) f.get();
            return (double) jobs.size() * images / ((System.nanoTime() - t) / 1e9);
        } catch (Exception e) {
            throw new IllegalStateException("evaluation speed: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Each stage of both rungs, timed separately on one thread (median over the plans, after a warm-up pass). */
    private static List<Stage> stages(ModelHandle m, Images images, Compressor.Options options, List<CompressionPlan> plans) {
        var c = new Compressor(m, options, images);
        var inputType = dev.squeeze.model.Dl4jGraphs.toInputType(m.graph().inputs().values().iterator().next());
        var ortCalibrator = new OnnxCalibrator(inputType, 1);
        var encoded = Accuracy.Encoded.of(images, m.encoding());
        var small = Accuracy.Encoded.of(images, m.encoding(), OnnxRunner.FRESH_SESSION_BATCH);
        String[] names = {"prune physically", "quantise weights + calibrate activations in DL4J", "DL4J accuracy on the images",
                "quantise weights + calibrate activations in ONNX Runtime", "ONNX write (integer weights + activation QDQ)",
                "ONNX Runtime session", "ONNX Runtime accuracy on the images"};
        double[][] ms = new double[names.length][plans.size()];
        for (int pass = 0; pass < 2; pass++) for (int i = 0; i < plans.size(); i++) { // the first pass warms the JIT; the second is kept
            CompressionPlan plan = plans.get(i);
            long t0 = System.nanoTime();
            var pruned = c.prune(plan);
            long t1 = System.nanoTime();
            var dl4j = c.quantize(pruned, plan, Compressor.DL4J);
            long t2 = System.nanoTime();
            encoded.accuracy(dl4j::predict);
            long t3 = System.nanoTime();
            var ort = c.quantize(pruned, plan, ortCalibrator);
            long t4 = System.nanoTime();
            byte[] bytes = OnnxWriter.write(ort, inputType);
            long t5 = System.nanoTime();
            try (OnnxRunner runner = OnnxRunner.of(bytes, 1)) {
                long t6 = System.nanoTime();
                small.accuracy(runner::predict);
                long t7 = System.nanoTime();
                long[] t = {t0, t1, t2, t3, t4, t5, t6, t7};
                for (int s = 0; s < names.length; s++) ms[s][i] = (t[s + 1] - t[s]) / 1e6;
            }
        }
        var stages = new ArrayList<Stage>();
        for (int s = 0; s < names.length; s++) stages.add(new Stage(names[s], median(ms[s])));
        return stages;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
