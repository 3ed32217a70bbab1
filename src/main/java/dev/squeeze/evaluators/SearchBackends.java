package dev.squeeze.evaluators;

import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.spaces.SearchSpace;

import java.util.Map;
import java.util.function.Function;

/**
 * What a search evaluates with: the measured rung (one network copy per worker, costs from the device
 * profile), the ladder built on it once the sensitivity table exists, and the recovered rung's promoter.
 */
public final class SearchBackends implements AutoCloseable {
    private final ParallelEvaluator measured;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final Promoter promoter;
    private final String deviceSha256;
    private final Double screenDrop;

    SearchBackends(ParallelEvaluator measured, Function<CompressionPlan, Map<String, Double>> costs, Promoter promoter,
                   String deviceSha256, Double screenDrop) {
        this.measured = measured;
        this.costs = costs;
        this.promoter = promoter;
        this.deviceSha256 = deviceSha256;
        this.screenDrop = screenDrop;
    }

    public static SearchBackends of(ModelHandle model, SearchSpace space, EvaluatorSpec spec, DataSplits splits, String device,
                                    int batch, int threads, boolean strict, Progress progress) {
        throw new UnsupportedOperationException("wired when the hardware and compression packages land");
    }

    /** The measured rung alone (baselines, the sensitivity table). */
    public PlanEvaluator measured() {
        return measured;
    }

    /** The predicted and measured rungs together, for the search. */
    public PlanEvaluator ladder(SensitivityTable table, SearchSpace space, double baselineAccuracy) {
        return new LadderEvaluator(measured, table, space, screenDrop, costs);
    }

    public Promoter promoter() {
        return promoter;
    }

    public String deviceSha256() {
        return deviceSha256;
    }

    @Override
    public void close() {
        measured.close();
    }
}
