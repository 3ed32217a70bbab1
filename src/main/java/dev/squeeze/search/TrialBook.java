package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.Trial;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Every plan the run has evaluated, by plan key. Plans already in the book (from this run, a resumed
 * run's trials.jsonl, or the persisted cache of earlier runs) are never evaluated again; new ones are
 * evaluated in one batch and recorded in the order the search asked for them, so trial ids are stable.
 */
final class TrialBook {
    private final PlanEvaluator evaluator;
    private final List<Constraint> constraints;
    private final double baselineAccuracy;
    private final Map<String, Trial> trials = new LinkedHashMap<>();
    private final Map<String, Evaluation> cache;
    private final Consumer<Trial> onNewTrial;
    private int evaluatedThisRun;
    private int cachedThisRun;

    TrialBook(PlanEvaluator evaluator, List<Constraint> constraints, double baselineAccuracy,
              Collection<Trial> previous, Map<String, Evaluation> cache, Consumer<Trial> onNewTrial) {
        this.evaluator = evaluator;
        this.constraints = constraints;
        this.baselineAccuracy = baselineAccuracy;
        for (Trial t : previous) trials.put(t.plan().key(), t);
        this.cache = cache;
        this.onNewTrial = onNewTrial;
    }

    /** Trials for the plans, evaluating the ones not seen before (as one batch). */
    List<Trial> lookup(List<CompressionPlan> plans, int generation) {
        var missing = new LinkedHashMap<String, CompressionPlan>();
        for (CompressionPlan p : plans) {
            String key = p.key();
            if (trials.containsKey(key) || missing.containsKey(key)) continue;
            Evaluation cached = cache.get(key);
            if (cached != null) {
                record(p, generation, cached, true);
                cachedThisRun++;
            } else {
                missing.put(key, p);
            }
        }
        if (!missing.isEmpty()) {
            List<CompressionPlan> batch = new ArrayList<>(missing.values());
            List<Evaluation> results = evaluator.evaluate(batch);
            for (int i = 0; i < batch.size(); i++) {
                cache.put(batch.get(i).key(), results.get(i));
                record(batch.get(i), generation, results.get(i), false);
                evaluatedThisRun++;
            }
        }
        return plans.stream().map(p -> trials.get(p.key())).toList();
    }

    private void record(CompressionPlan plan, int generation, Evaluation e, boolean cacheHit) {
        var slack = new LinkedHashMap<String, Double>();
        double violation = 0;
        for (Constraint c : constraints) {
            slack.put(c.key(), c.slack(e.values(), baselineAccuracy));
            violation += c.violation(e.values(), baselineAccuracy);
        }
        String id = String.format("t%04d", trials.size() + 1);
        Trial t = new Trial(id, generation, plan, e.values(), slack, violation, e.fidelity(), cacheHit, cacheHit ? 0 : e.seconds());
        trials.put(plan.key(), t);
        onNewTrial.accept(t);
    }

    List<Trial> all() {
        return List.copyOf(trials.values());
    }

    int evaluatedThisRun() {
        return evaluatedThisRun;
    }

    int cachedThisRun() {
        return cachedThisRun;
    }

    double baselineAccuracy() {
        return baselineAccuracy;
    }
}
