package dev.squeeze.bench;

import dev.squeeze.evaluators.cluster.ClusterRungs;
import dev.squeeze.evaluators.cluster.ClusterSpec;
import dev.squeeze.evaluators.cluster.Coordinator;
import dev.squeeze.evaluators.cluster.Versions;
import dev.squeeze.evaluators.cluster.WorkerProcess;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.StopRequest;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.evaluators.AccuracyRungs;
import dev.squeeze.evaluators.EvaluatorSpec;
import dev.squeeze.evaluators.Rung;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Throughput of the measured rung on this machine's threads and through a cluster of worker processes on loopback, side
 * by side in one run: evaluations per second with 1 and 2 local threads and with 1 and 2 worker processes (one thread
 * each), and what going through the cluster costs per evaluation. Every configuration measures the same distinct plans
 * after a warm-up (the workers' workload loaded, their first plans done), with the cluster's results map emptied before
 * each, so no result is reused; the configurations take turns for several rounds and medians are reported. Every
 * configuration runs one ND4J thread per evaluation, as workers do.
 */
public final class ClusterBenchmark {
    private ClusterBenchmark() {}

    /**
     * @param model  model to compress
     * @param images calibration images per evaluation
     * @param plans  distinct plans measured per configuration (at most {@link #planPool()}'s size)
     * @param rounds times each configuration measures them, in turns
     */
    public record Request(String model, int images, int plans, int rounds, Path dataDir) {}

    /**
     * Medians over the rounds, evaluations per second.
     *
     * @param overheadWallMs      per evaluation, one worker process against one local thread: (its wall time - local's) / plans
     * @param overheadRoundTripMs per evaluation, mean of (result received - plan sent) less the worker's own measuring time
     */
    public record Result(String model, int images, int plans, int rounds, double localOneThread, double localTwoThreads, double oneWorker,
                         double twoWorkers, double overheadWallMs, double overheadRoundTripMs) {
        /** Two worker processes against one. */
        public double speedup() {
            return twoWorkers / oneWorker;
        }
    }

    /** Varied plans: three weight widths, two activation widths, five prune levels. */
    static List<CompressionPlan> planPool() {
        var out = new ArrayList<CompressionPlan>();
        for (double p : new double[]{0, 0.125, 0.25, 0.375, 0.5}) {
            for (int w : new int[]{8, 4, 6}) {
                for (int a : new int[]{8, 32}) out.add(CompressionPlan.uniform("w" + w + "a" + a + (p == 0 ? "" : "p" + p)));
            }
        }
        return out;
    }

    public static Result run(Request r, Progress progress) {
        List<CompressionPlan> pool = planPool();
        if (r.plans() < 2 || r.plans() > pool.size()) throw new SqueezeException("--plans must be from 2 to " + pool.size() + ", got " + r.plans());
        if (r.rounds() < 1) throw new SqueezeException("--rounds must be at least 1, got " + r.rounds());
        List<CompressionPlan> plans = pool.subList(0, r.plans());
        List<CompressionPlan> warmUp = List.of(CompressionPlan.uniform("w5a8"), CompressionPlan.uniform("w7a8"),
                CompressionPlan.uniform("w5a8p0.25"), CompressionPlan.uniform("w7a8p0.25"));
        ModelHandle model = ModelStore.load(r.model());
        DataSplits splits = DataSplits.load(r.dataDir(), 42, Math.max(r.images(), 500));
        model.checkReads(splits);
        Images images = splits.calibration().head(r.images());
        var spec = new EvaluatorSpec("bench cluster", 42, r.images(), dev.squeeze.model.compress.Importance.L1, dev.squeeze.model.compress.ActivationCalibration.MINMAX, null, r.images(), null);
        dev.squeeze.model.Backend.oneThreadPerCandidate();
        var one = new AccuracyRungs.Inputs(model, spec, dev.squeeze.results.Objective.ACCURACY, images, null, 1, plan -> Map.of(), new StopRequest());
        var two = new AccuracyRungs.Inputs(model, spec, one.quality(), images, null, 2, one.costs(), one.stop());

        Path work = tempDir();
        String name = "bench-" + ProcessHandle.current().pid();
        try (Rung local1 = AccuracyRungs.LOCAL.open(one).measured();
             Rung local2 = AccuracyRungs.LOCAL.open(two).measured();
             var first = WorkerProcess.start(name, List.of(), 1, work.resolve("store-1"), work.resolve("worker-1.log"), Map.of());
             var second = WorkerProcess.start(name, List.of(first.endpoint()), 1, work.resolve("store-2"), work.resolve("worker-2.log"), Map.of());
             Coordinator c = Coordinator.connect(new ClusterSpec(name, List.of(first.endpoint())), Optional.empty(), Versions.current(),
                     Duration.ofSeconds(60), progress, new StopRequest())) {
            awaitWorkers(c, 2);
            Rung cluster = ClusterRungs.open(c, one).measured();
            local1.evaluate(warmUp.subList(0, 1));
            local2.evaluate(warmUp.subList(0, 2));
            cluster.evaluate(warmUp); // both workers load the workload and measure their first plans
            // the configurations take turns, round after round, so a change in the machine's load falls on all of them alike
            var seconds = new double[4][r.rounds()];
            var roundTrip = new double[r.rounds()];
            for (int round = 0; round < r.rounds(); round++) {
                seconds[0][round] = timed(local1, plans);
                c.limitWorkers(1);
                c.clearResults();
                long count = c.stats().count();
                double overhead = c.stats().overheadSeconds() * count;
                seconds[1][round] = timed(cluster, plans);
                roundTrip[round] = (c.stats().overheadSeconds() * c.stats().count() - overhead) / (c.stats().count() - count);
                seconds[2][round] = timed(local2, plans);
                c.limitWorkers(2);
                c.clearResults();
                seconds[3][round] = timed(cluster, plans);
                progress.log(String.format("round %d of %d, evaluations/s: this machine 1 thread %.2f, 2 threads %.2f; cluster 1 worker %.2f, 2 workers %.2f",
                        round + 1, r.rounds(), plans.size() / seconds[0][round], plans.size() / seconds[2][round],
                        plans.size() / seconds[1][round], plans.size() / seconds[3][round]));
            }
            int n = plans.size();
            var wall = new double[r.rounds()];
            for (int round = 0; round < r.rounds(); round++) wall[round] = 1000 * (seconds[1][round] - seconds[0][round]) / n;
            return new Result(model.name(), images.count(), n, r.rounds(), n / median(seconds[0]), n / median(seconds[2]), n / median(seconds[1]),
                    n / median(seconds[3]), median(wall), 1000 * median(roundTrip));
        } finally {
            deleteQuietly(work);
        }
    }

    private static double timed(Rung rung, List<CompressionPlan> plans) {
        long start = System.nanoTime();
        rung.evaluate(plans);
        return (System.nanoTime() - start) / 1e9;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void awaitWorkers(Coordinator c, int n) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (c.workers().size() < n) {
            if (System.nanoTime() > deadline) throw new SqueezeException("the second worker process did not join within 60 s");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SqueezeException("interrupted");
            }
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("squeeze-bench-cluster-");
        } catch (IOException e) {
            throw new SqueezeException("cannot create a temporary folder: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder: the system cleans it eventually
        }
    }
}
