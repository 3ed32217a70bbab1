package dev.squeeze.onnx;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How squeeze times models in ONNX Runtime on this machine (profiles validate, export's measured latency, benchmarks):
 * one input at the batch size asked for, every model's session open side by side, round-robin over the models, each round
 * a few untimed runs and then a share of the timed ones, and the median of each model's timed runs. Rounds matter on a
 * shared machine: a process keeps warming up (JIT, caches, clock) for a while, and timing models one after another would
 * rank them by when they ran.
 *
 * @param rounds      passes over all models
 * @param warmupRuns  untimed runs per model at the start of each round
 * @param timedRuns   timed runs per model and round
 */
public record LatencyTiming(int rounds, int warmupRuns, int timedRuns) {
    /** What validate uses: 20 rounds of 10 warm-up and 10 timed runs (200 timed runs per model). */
    public static final LatencyTiming VALIDATE = new LatencyTiming(20, 10, 10);

    public LatencyTiming {
        if (rounds < 1 || warmupRuns < 0 || timedRuns < 1) throw new IllegalArgumentException("rounds and timed runs must be >= 1");
    }

    /** {@code timedRuns} per round such that the whole takes about {@code total} timed runs per model. */
    public static LatencyTiming ofTotal(int rounds, int warmupRuns, int total) {
        return new LatencyTiming(rounds, warmupRuns, Math.max(1, total / rounds));
    }

    /** Median milliseconds of one run of each runner on {@code input}, in the runners' order. */
    public double[] medianMillis(List<OnnxRunner> runners, INDArray input) {
        var samples = new ArrayList<double[]>();
        for (int i = 0; i < runners.size(); i++) samples.add(new double[rounds * timedRuns]);
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < runners.size(); i++) {
                if (warmupRuns > 0) runners.get(i).time(input, warmupRuns);
                double[] s = runners.get(i).time(input, timedRuns);
                for (int k = 0; k < s.length; k++) samples.get(i)[round * timedRuns + k] = s[k] * 1e3;
            }
        }
        double[] medians = new double[runners.size()];
        for (int i = 0; i < medians.length; i++) medians[i] = median(samples.get(i));
        return medians;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** One line for manifests and reports: how the figures were taken. */
    public String describe(int threads, long batch) {
        return String.format("ONNX Runtime %s on this machine, %d intra-op thread%s, batch %d, median of %d runs per model in %d interleaved rounds",
                Ort.environment().getVersion(), threads, threads == 1 ? "" : "s", batch, rounds * timedRuns, rounds);
    }
}
