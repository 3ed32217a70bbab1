package dev.squeeze.evaluators;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;
import dev.squeeze.spaces.SearchSpace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The first two rungs of the fidelity ladder as one evaluator: every plan gets a {@code predicted}
 * accuracy from the sensitivity table; plans predicted to lose more than the screen are recorded at that
 * fidelity, the rest are {@code measured} (and keep their prediction as {@code accuracy_predicted}, so
 * the report can show how well the predicted rung ranked the measured one).
 */
final class LadderEvaluator implements PlanEvaluator {
    private final PlanEvaluator measured;
    private final SensitivityTable table;
    private final SearchSpace space;
    private final Double screenDrop;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final EvaluatedBy predictedBy;

    /** @param predictedBy what predicted-rung evaluations name as their maker */
    LadderEvaluator(PlanEvaluator measured, SensitivityTable table, SearchSpace space, Double screenDrop,
                    Function<CompressionPlan, Map<String, Double>> costs, EvaluatedBy predictedBy) {
        this.measured = measured;
        this.table = table;
        this.space = space;
        this.screenDrop = screenDrop;
        this.costs = costs;
        this.predictedBy = predictedBy;
    }

    @Override
    public List<Evaluation> evaluate(List<CompressionPlan> plans) {
        Objective quality = table.quality();
        var out = new Evaluation[plans.size()];
        var toMeasure = new ArrayList<Integer>();
        double[] predicted = new double[plans.size()];
        for (int i = 0; i < plans.size(); i++) {
            predicted[i] = table.predict(plans.get(i), space);
            if (screenDrop != null && quality.drop(table.baseline(), predicted[i]) > screenDrop) {
                var values = new LinkedHashMap<>(costs.apply(plans.get(i)));
                values.put(quality.key(), predicted[i]);
                out[i] = new Evaluation(values, Fidelity.PREDICTED, 0, predictedBy);
            } else {
                toMeasure.add(i);
            }
        }
        List<Evaluation> results = measured.evaluate(toMeasure.stream().map(plans::get).toList());
        for (int k = 0; k < toMeasure.size(); k++) {
            int i = toMeasure.get(k);
            var values = new LinkedHashMap<>(results.get(k).values());
            values.put(quality.keyAt(Fidelity.PREDICTED), predicted[i]);
            out[i] = results.get(k).withValues(values);
        }
        return List.of(out);
    }

    @Override
    public String describe() {
        return "ladder(screen " + screenDrop + ") over " + measured.describe();
    }
}
