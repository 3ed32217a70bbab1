package dev.squeeze.evaluators;

import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.export.OnnxRunner;
import dev.squeeze.export.OnnxWriter;
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
        Images images = DataSplits.load(r.dataDir(), 42, Math.max(r.images(), 500)).calibration().head(r.images());
        List<CompressionPlan> plans = PLANS.stream().map(p -> CompressionPlan.uniform(p).validate(m.graph(), "plan " + p)).toList();
        if (r.threads() > 1) dev.squeeze.model.Backend.oneThreadPerCandidate();
        var options = Compressor.Options.DEFAULT;

        progress.update("ONNX Runtime, uncompressed, " + r.threads() + " intra-op threads");
        double ort;
        try (OnnxRunner runner = OnnxRunner.of(OnnxWriter.write(m, java.util.Map.of()), r.threads())) {
            runner.accuracy(images, m.encoding()); // warm-up
            double[] seconds = new double[Math.max(3, r.rounds() * 2)];
            for (int i = 0; i < seconds.length; i++) {
                long t = System.nanoTime();
                runner.accuracy(images, m.encoding());
                seconds[i] = (System.nanoTime() - t) / 1e9;
            }
            ort = images.count() / median(seconds);
        }

        progress.update("per-stage times on one thread");
        var stages = stages(m, images, options, plans);
        double maxDiff = 0;
        var dl4j = new MeasuredAccuracy(m, images, options);
        var onnx = new OnnxAccuracy(m, images, options);
        for (CompressionPlan p : plans.subList(0, 3)) maxDiff = Math.max(maxDiff, Math.abs(dl4j.accuracy(p) - onnx.accuracy(p)));

        progress.update("DL4J rung, " + r.threads() + " candidates in parallel");
        double dl4jRate = throughput(() -> new MeasuredAccuracy(m, images, options), plans, r, images.count());
        progress.update("ONNX Runtime rung, " + r.threads() + " candidates in parallel");
        double onnxRate = throughput(() -> new OnnxAccuracy(m, images, options), plans, r, images.count());
        return new Result(m.name(), images.count(), r.threads(), plans.size() * r.rounds(), ort, dl4jRate, onnxRate, dl4jRate / ort,
                onnxRate / ort, maxDiff, stages);
    }

    /** Images per second when {@code threads} workers, one proxy each, evaluate every plan {@code rounds} times. */
    private static double throughput(Supplier<AccuracyProxy> proxy, List<CompressionPlan> plans, Request r, int images) {
        var local = ThreadLocal.withInitial(proxy);
        ExecutorService pool = Executors.newFixedThreadPool(r.threads());
        try {
            // warm-up: every worker builds its proxy and evaluates once
            var warm = new ArrayList<Future<Double>>();
            for (int i = 0; i < r.threads(); i++) warm.add(pool.submit(() -> local.get().accuracy(plans.get(0))));
            for (var f : warm) f.get();
            long t = System.nanoTime();
            var jobs = new ArrayList<Future<Double>>();
            for (int round = 0; round < r.rounds(); round++) for (CompressionPlan p : plans) jobs.add(pool.submit(() -> local.get().accuracy(p)));
            for (var f : jobs) f.get();
            return (double) jobs.size() * images / ((System.nanoTime() - t) / 1e9);
        } catch (Exception e) {
            throw new IllegalStateException("evaluation speed: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Stage> stages(ModelHandle m, Images images, Compressor.Options options, List<CompressionPlan> plans) {
        var c = new Compressor(m, options, images);
        int n = plans.size();
        double[] prune = new double[n], quant = new double[n], dl4j = new double[n], write = new double[n], session = new double[n], run = new double[n];
        var inputType = dev.squeeze.model.Dl4jGraphs.toInputType(m.graph().inputs().values().iterator().next());
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            var pruned = c.prune(plans.get(i));
            long t1 = System.nanoTime();
            var compressed = c.quantize(pruned, plans.get(i));
            long t2 = System.nanoTime();
            compressed.accuracy(images, m.encoding());
            long t3 = System.nanoTime();
            byte[] bytes = OnnxWriter.write(compressed, inputType);
            long t4 = System.nanoTime();
            try (OnnxRunner runner = OnnxRunner.of(bytes, 1)) {
                long t5 = System.nanoTime();
                runner.accuracy(images, m.encoding());
                long t6 = System.nanoTime();
                session[i] = (t5 - t4) / 1e6;
                run[i] = (t6 - t5) / 1e6;
            }
            prune[i] = (t1 - t0) / 1e6;
            quant[i] = (t2 - t1) / 1e6;
            dl4j[i] = (t3 - t2) / 1e6;
            write[i] = (t4 - t3) / 1e6;
        }
        return List.of(new Stage("prune physically", median(prune)), new Stage("quantize weights + calibrate activations", median(quant)),
                new Stage("DL4J accuracy on the images", median(dl4j)), new Stage("ONNX write", median(write)),
                new Stage("ONNX Runtime session", median(session)), new Stage("ONNX Runtime accuracy on the images", median(run)));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
