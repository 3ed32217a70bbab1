package dev.squeeze.evaluators;

import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Promotes plans to the {@code recovered} rung with the evaluator spec's budget. The budget depends on the
 * generation only (so a resumed run, which reuses earlier promotions instead of repeating them, promotes
 * exactly as the original did): see {@link EvaluatorSpec.Recovery#budget}.
 */
final class RecoveryPromoter implements Promoter {
    private final PlanEvaluator recovered;
    private final EvaluatorSpec.Recovery rule;
    private final Objective quality;

    RecoveryPromoter(PlanEvaluator recovered, EvaluatorSpec.Recovery rule, Objective quality) {
        this.recovered = recovered;
        this.rule = rule;
        this.quality = quality;
    }

    @Override
    public List<Evaluation> promote(List<Trial> candidates) {
        List<Evaluation> results = recovered.evaluate(candidates.stream().map(Trial::plan).toList());
        var out = new ArrayList<Evaluation>();
        for (int i = 0; i < candidates.size(); i++) {
            var values = new LinkedHashMap<>(results.get(i).values());
            // the reading it had before: measured, or (a plan the ladder screened out) predicted
            Fidelity before = candidates.get(i).fidelity() == Fidelity.PREDICTED ? Fidelity.PREDICTED : Fidelity.MEASURED;
            values.put(quality.keyAt(before), candidates.get(i).value(quality));
            out.add(results.get(i).withValues(values));
        }
        return out;
    }

    @Override
    public int budget(int generation) {
        return rule.budget(generation);
    }

    @Override
    public Fidelity fidelity() {
        return Fidelity.RECOVERED;
    }
}
