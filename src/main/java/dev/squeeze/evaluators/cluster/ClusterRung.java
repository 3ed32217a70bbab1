package dev.squeeze.evaluators.cluster;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.Rung;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * One rung measured on the cluster: accuracies from the workers, costs computed here, in the batch's order; each
 * evaluation names the worker that measured it, and this search's evaluator and rung as its maker (the worker measured
 * with the same spec; the messages carry no more than they did).
 */
final class ClusterRung implements Rung {
    private final Coordinator coordinator;
    private final Workload workload;
    private final Fidelity fidelity;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final EvaluatedBy evaluatedBy;
    private final Runnable onClose;
    private final LongAdder nanos = new LongAdder();

    ClusterRung(Coordinator coordinator, Workload workload, Fidelity fidelity, Function<CompressionPlan, Map<String, Double>> costs,
                EvaluatedBy evaluatedBy, Runnable onClose) {
        this.coordinator = coordinator;
        this.workload = workload;
        this.fidelity = fidelity;
        this.costs = costs;
        this.evaluatedBy = evaluatedBy;
        this.onClose = onClose;
    }

    @Override
    public List<Evaluation> evaluate(List<CompressionPlan> plans) {
        long start = System.nanoTime();
        try {
            List<Evaluated> measured = coordinator.evaluate(workload, plans, fidelity);
            var out = new ArrayList<Evaluation>();
            for (int i = 0; i < plans.size(); i++) {
                var values = new LinkedHashMap<>(costs.apply(plans.get(i)));
                Evaluated e = measured.get(i);
                values.put(workload.qualityObjective().key(), e.quality());
                out.add(new Evaluation(values, Fidelity.of(e.fidelity()), e.seconds(), e.worker(), evaluatedBy));
            }
            return out;
        } finally {
            nanos.add(System.nanoTime() - start);
        }
    }

    @Override
    public double evaluatingSeconds() {
        return nanos.sum() / 1e9;
    }

    @Override
    public String describe() {
        return evaluatedBy.rung();
    }

    @Override
    public void close() {
        onClose.run();
    }
}
